#!/usr/bin/env python3
"""Clears outputs and execution counts of every notebook under notebooks/ (or the paths given), in place."""
import json, sys, pathlib

def clear(path: pathlib.Path) -> bool:
    data = json.loads(path.read_text(encoding="utf-8"))
    changed = False
    for cell in data.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs") or cell.get("execution_count") is not None:
            changed = True
        cell["outputs"] = []
        cell["execution_count"] = None
    if changed:
        tmp = path.with_suffix(".ipynb.tmp")
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)
    return changed

if __name__ == "__main__":
    root = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
    paths = [pathlib.Path(p) for p in sys.argv[1:]] or sorted(root.glob("*.ipynb"))
    for p in paths:
        print(("cleared " if clear(p) else "clean   ") + str(p))
