"""The benchmarks and `make chaos`: run from the repository root as `python -m bench.<name>`
(the Makefile targets do), so `bench`, `tests` and `tools` import as packages."""
