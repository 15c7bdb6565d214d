# mezzo — every target sets itself up from nothing (python3 -m venv + pip install -e '.[dev]').
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.installed-bench-stamp
PYTEST_ARGS ?=

.PHONY: setup test test-fast demo bench lint ffmpeg chromium soundfonts game-music music clean clean-cache

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(PY) -m mezzo.kernels.warm
	@touch $(STAMP)

setup: $(STAMP)

## test: lint + the whole suite on every core (slow checks included; `make test-fast` deselects them;
## PYTEST_ARGS="-n 0" runs it in one process)
test: $(STAMP) ffmpeg chromium
	$(VENV)/bin/ruff check src tests benchmarks
	$(PY) -m pytest --doctest-modules src/mezzo -q -p no:cacheprovider
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -n auto -m "not slow" $(PYTEST_ARGS)

## demo: render, analyse and plot the built-in demo track into demo-out/
demo: $(STAMP)
	$(VENV)/bin/mezzo demo --out-dir demo-out
	@echo "See, hear (A/B) and master it in the browser: $(VENV)/bin/mezzo studio demo-out/demo.wav"

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

## bench: speed and memory against the anchors that are installed; the dynamics scores on the
## evaluation corpus (built on first use with music21, FluidSynth and the Debian SoundFonts)
bench: $(BENCH_STAMP) soundfonts
	$(PY) benchmarks/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

## ffmpeg: optional, for side-by-side tests; installed when apt-get is usable, skipped otherwise
ffmpeg:
	@command -v ffmpeg >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null) \
	      || echo "ffmpeg could not be installed: ffmpeg side-by-side tests will be skipped"; \
	  else echo "no apt-get as root: ffmpeg side-by-side tests will be skipped"; fi; }

## chromium: optional, for the report rendering test and the studio's browser tests (Playwright drives
## this Chromium); installed when apt-get is usable, those tests are skipped otherwise
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "chromium could not be installed: the report rendering and studio browser tests will be skipped"; \
	  else echo "no apt-get as root: the report rendering and studio browser tests will be skipped"; fi; }

## soundfonts: FluidSynth and three General MIDI SoundFonts for the dynamics evaluation corpus
soundfonts:
	@{ command -v fluidsynth >/dev/null 2>&1 && test -f /usr/share/sounds/sf2/FluidR3_GM.sf2 \
	   && test -f /usr/share/sounds/sf2/TimGM6mb.sf2 && test -f /usr/share/sounds/sf3/MuseScore_General_Lite.sf3; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fluidsynth fluid-soundfont-gm \
	      timgm6mb-soundfont musescore-general-soundfont-small >/dev/null) \
	      || echo "fluidsynth/SoundFonts could not be installed: the dynamics corpus scores will be skipped"; \
	  else echo "no apt-get as root: the dynamics corpus scores will be skipped (needs fluidsynth and SoundFonts)"; fi; }

## game-music: Debian's game soundtracks (orchestral, ambient, electronic) for the real-recording checks
game-music:
	@test -d /usr/share/games/wesnoth/1.16/data/core/music || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wesnoth-1.16-music \
	      singularity-music hyperrogue-music >/dev/null) \
	      || echo "the game soundtracks could not be installed: the real-recording checks will be skipped"; \
	  else echo "no apt-get as root: the real-recording checks will be skipped"; fi; }

## music: optional real music for the true-peak and mastering checks (game soundtracks from
## Debian: Endgame: Singularity (electronic/orchestral), Drascula (adventure), Frets on Fire
## songs by Muldjord (rock)); `tests/real_music.py` and the tests that need them skip without
MUSIC_PACKAGES := singularity-music drascula-music fretsonfire-songs-muldjord
music:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(MUSIC_PACKAGES) >/dev/null) \
	    || echo "the music packages could not be installed: the real-music checks will be skipped"; \
	else echo "no apt-get as root: the real-music checks will be skipped"; fi

clean-cache:
	find src -name '__pycache__' -type d -prune -exec rm -rf {} +

clean: clean-cache
	rm -rf $(VENV) demo-out .pytest_cache .hypothesis
