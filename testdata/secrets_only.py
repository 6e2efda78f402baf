"""The Secret documents of a kustomize build's output (stdin), in its order: the documents
holding a `kind: Secret` line. Only a line that is exactly `---` separates documents (a PEM
line ends in `---` too). Used by the record scripts of testdata/overlays and testdata/realworld.
"""
import re
import sys

docs = re.split(r"(?m)^---\n", sys.stdin.read())
print("---\n".join(d for d in docs if "kind: Secret" in d.splitlines()), end="")
