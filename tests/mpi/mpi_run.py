"""How the MPI tests start neardup-mpi: mpirun on N ranks of this machine, more ranks than
cores allowed, unbound (the ranks share 2 cores in CI), as root where the tests run so."""
import os


def mpirun(n):
    cmd = ["mpirun", "-np", str(n), "--oversubscribe", "--bind-to", "none"]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    return cmd


def documents(demo, corpora):
    """The planted Arabic corpus (500 articles) when scripts/eval has built it, else the
    demo's five."""
    docs = os.path.join(corpora, "planted-arabic", "docs")
    return docs if os.path.isdir(docs) else demo
