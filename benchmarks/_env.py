"""What a figure depends on: versions, the BLAS library and its threads, the machine.

Everything here is best effort: a piece of information that cannot be found is reported as
``None`` (``-`` in the header), never an error.
"""

from __future__ import annotations

import os
import platform
import sys

import numpy as np

# Environment variables that change NumPy's (OpenBLAS's) speed. OPENBLAS_CORETYPE forces a
# kernel family: on some machines it is set to an older core type than the CPU's, which halves
# matmul speed, so benchmarks should run with it unset (see the README).
BLAS_ENV_VARS = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
)


def cpu_model() -> str | None:
    """The CPU's model name from ``/proc/cpuinfo`` (Linux), else ``platform.processor()``."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def usable_cpus() -> int | None:
    """CPUs this process may run on (the affinity mask), else ``os.cpu_count()``."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count()


def blas_info() -> dict:
    """NumPy's BLAS: name and version from ``np.show_config``, and, when ``threadpoolctl`` is
    installed, the loaded library, its architecture and its thread count."""
    info: dict = {"name": None, "version": None, "threads": None, "architecture": None}
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        info["name"] = blas.get("name")
        info["version"] = blas.get("version")
    except Exception:  # noqa: BLE001 - older NumPy: no mode="dicts"
        pass
    try:
        import threadpoolctl

        for lib in threadpoolctl.threadpool_info():
            if lib.get("user_api") == "blas":
                info["threads"] = lib.get("num_threads")
                info["architecture"] = lib.get("architecture")
                info["internal_api"] = lib.get("internal_api")
                info["version"] = info["version"] or lib.get("version")
                break
    except Exception:  # noqa: BLE001 - threadpoolctl is optional
        pass
    if info["threads"] is None:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            v = os.environ.get(var)
            if v and v.strip().isdigit():
                info["threads"] = int(v)
                info["threads_from"] = var
                break
        else:
            # OpenBLAS and MKL use one thread per usable CPU unless told otherwise.
            info["threads"] = usable_cpus()
            info["threads_from"] = "assumed: one per usable CPU"
    return info


def blas_threads() -> int:
    """The BLAS thread count (at least 1); PyTorch is set to the same count for fairness."""
    return max(1, int(blas_info()["threads"] or 1))


def torch_info() -> dict | None:
    """PyTorch's version and thread count, or None when it is not importable."""
    try:
        import torch
    except Exception:  # noqa: BLE001 - torch is optional
        return None
    return {"version": torch.__version__, "threads": torch.get_num_threads()}


def ndgrad_version() -> str | None:
    try:
        import autograd

        return getattr(autograd, "__version__", None)
    except Exception:  # noqa: BLE001
        return None


def environment() -> dict:
    """Everything the header of a run shows and ``--json`` records."""
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "ndgrad": ndgrad_version(),
        "torch": torch_info(),
        "blas": blas_info(),
        "blas_env": {k: os.environ.get(k) for k in BLAS_ENV_VARS},
        "cpu": cpu_model(),
        "cpus": usable_cpus(),
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "hostname": platform.node(),
    }


def header_lines(env: dict) -> list:
    """The environment as a few human-readable lines."""
    blas = env["blas"]
    threads = blas.get("threads")
    if blas.get("threads_from"):
        threads = f"{threads} ({blas['threads_from']})"
    torch = env["torch"]
    torch_s = f"{torch['version']} ({torch['threads']} threads)" if torch else "not importable"
    blas_env = ", ".join(f"{k}={v}" for k, v in env["blas_env"].items() if v is not None)
    lines = [
        f"machine : {env['cpu'] or '-'}, {env['cpus']} usable CPUs, {env['system']}",
        f"versions: python {env['python']}, numpy {env['numpy']}, ndgrad {env['ndgrad']}, "
        f"torch {torch_s}",
        f"BLAS    : {blas.get('name') or '-'} {blas.get('version') or ''}"
        f"{' ' + blas['architecture'] if blas.get('architecture') else ''}, threads {threads}",
        f"BLAS env: {blas_env or 'none set'}",
    ]
    if env["blas_env"].get("OPENBLAS_CORETYPE"):
        lines.append(
            "WARNING : OPENBLAS_CORETYPE is set: OpenBLAS may use slower kernels than this CPU "
            "supports. Run with `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m "
            "benchmarks ...` for representative figures."
        )
    return lines
