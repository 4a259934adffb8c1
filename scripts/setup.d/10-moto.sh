# shellcheck shell=bash
# Sourced by scripts/test.sh (from the repository root): the Python virtualenv with the
# pinned AWS emulator (moto[server]) and boto3 that the live-scan tests start and seed.
#
# Idempotent: the venv is (re)built only when it is missing or tests/moto/requirements.txt
# changed since it was built. Exports NOBASTION_PYTHON for tests/support/moto.rs.
# Needs python3 (3.9+) with the venv module and access to PyPI on the first run.

nb_moto_venv="$PWD/.venv"
nb_moto_requirements="$PWD/tests/moto/requirements.txt"
nb_moto_stamp="$nb_moto_venv/.nobastion-requirements.txt"

if [ ! -x "$nb_moto_venv/bin/python" ] || ! cmp -s "$nb_moto_requirements" "$nb_moto_stamp"; then
    echo "   creating $nb_moto_venv with moto and boto3 (tests/moto/requirements.txt)" >&2
    python3 -m venv "$nb_moto_venv"
    "$nb_moto_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --requirement "$nb_moto_requirements"
    cp "$nb_moto_requirements" "$nb_moto_stamp"
fi

# Fail here, not in forty tests, if the venv is unusable.
"$nb_moto_venv/bin/python" -c "import moto, boto3, botocore" >&2

export NOBASTION_PYTHON="$nb_moto_venv/bin/python"
unset nb_moto_venv nb_moto_requirements nb_moto_stamp
