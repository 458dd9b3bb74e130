import cProfile, pstats, time
from benchmarks import suite_steps as S
for eng in ("ndgrad", "compiled", "numpy"):
    r = S.build("chain100", eng)
    for _ in range(20): r.step()
    t = time.perf_counter()
    for _ in range(200): r.step()
    print(eng, (time.perf_counter() - t) / 200 * 1e6, "us")
r = S.build("chain100", "compiled")
r.step(); r.step()
print(r.forward.cache_info())
cProfile.run("for _ in range(300): r.step()", "/tmp/prof.out")
pstats.Stats("/tmp/prof.out").sort_stats("tottime").print_stats(12)
