"""Python Dask on the out-of-core workloads of dask-array/examples/out_of_core.rs.

usage: python dask_out_of_core.py (sum|mean-axis|center) FILE [OUT]

FILE is a Zarr v3 array (directory) or an .npy file, as written by the Rust example's
`create`. Prints the wall time; run it under `/usr/bin/time -v` for the peak RSS.
"""
import shutil
import sys
import time

import dask
import dask.array as da
import numpy as np


def open_array(path):
    if path.endswith(".npy"):
        return da.from_array(np.load(path, mmap_mode="r"), chunks=(4096, 4096))
    return da.from_zarr(path)


def main():
    command, path = sys.argv[1], sys.argv[2]
    dask.config.set(scheduler="threads", num_workers=2)
    start = time.perf_counter()
    x = open_array(path)
    if command == "sum":
        print("sum =", x.sum().compute())
    elif command == "mean-axis":
        m = x.mean(axis=1).compute()
        print("mean(axis=1):", m.shape, m[0])
    elif command == "center":
        out = sys.argv[3]
        shutil.rmtree(out, ignore_errors=True)
        (x - x.mean(axis=1, keepdims=True)).to_zarr(out)
        print("stored", out)
    else:
        sys.exit(f"unknown command {command}")
    print(f"time {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
