"""How the MPI tests start neardup-mpi: mpirun on N ranks of this machine, more ranks than
cores allowed, unbound (the ranks share 2 cores in CI), as root where the tests run so."""
import atexit
import os
import shutil
import tempfile


def mpirun(n):
    cmd = ["mpirun", "-np", str(n), "--oversubscribe", "--bind-to", "none"]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    return cmd


def documents(demo, corpora):
    """The planted Arabic corpus when scripts/eval has built it, else 300 articles of the
    demo's paragraphs (many scan batches, which the ranks share; several pairs), in a
    folder removed when the test ends."""
    docs = os.path.join(corpora, "planted-arabic", "docs")
    if os.path.isdir(docs):
        return docs
    paragraphs = []
    for name in sorted(os.listdir(demo)):
        with open(os.path.join(demo, name), encoding="utf-8") as f:
            paragraphs += [p for p in f.read().split("\n") if p.strip()]
    folder = tempfile.mkdtemp(prefix="neardup-mpi-docs-")
    atexit.register(shutil.rmtree, folder, True)
    for i in range(300):
        with open(os.path.join(folder, f"{i:03d}.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(paragraphs[(i * 7) % len(paragraphs):][:2 + i % 4]))
    return folder
