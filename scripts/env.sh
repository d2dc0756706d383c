# Shared by run.sh, test.sh and the benchmarks: local defaults for anything not already set.
# Production sets these in the environment; nothing here is a real secret.
export PYTHONUNBUFFERED=1
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p var
