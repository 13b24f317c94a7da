# Quick start: `make demo` (installs on first use, solves a bundled Taillard instance) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# The CPU build of torch on purpose: a bare `torch` requirement would pull GBs of CUDA packages.
TORCH_SPEC ?= torch==2.13.0
# e.g. https://download.pytorch.org/whl/cpu: the index that serves only CPU builds (empty: pip's own)
TORCH_INDEX ?=
DEMO_INSTANCE ?= ta41
DEMO_OUT ?= demo

.PHONY: install demo test bench clean clean-cache

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[test]"
	# numba compiles each kernel on its first call: do it now, once, into numba's cache
	$(VENV)/bin/rewriter warmup
	touch $@

demo: install
	mkdir -p $(DEMO_OUT)
	$(VENV)/bin/rewriter solve $(DEMO_INSTANCE) --init mwkr --seed 0 \
		--out $(DEMO_OUT)/$(DEMO_INSTANCE).json --gantt $(DEMO_OUT)/$(DEMO_INSTANCE)_gantt.png \
		--trace $(DEMO_OUT)/$(DEMO_INSTANCE)_trace.csv

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/bench_kernels.py
	$(PY) benchmarks/bench_tabu.py

clean:
	rm -rf $(VENV) build *.egg-info $(DEMO_OUT)

# numba recompiles a cached kernel when its own file changes, not when a kernel it calls from
# another file does: after editing kernels in a checkout, drop the compiled cache
clean-cache:
	find rewriter -path '*/__pycache__/*' \( -name '*.nbi' -o -name '*.nbc' \) -delete
