// redis_fleet_bench.h — the Redis part of yesno_verifier_bench (redis_fleet_bench.cc).
#ifndef YESNO_BENCH_REDIS_FLEET_BENCH_H_
#define YESNO_BENCH_REDIS_FLEET_BENCH_H_

namespace yesno::bench {

// RunRedisFleetBench starts redis-server processes (one server + replica,
// Sentinel, a 3-master Cluster), prints commands and round trips per
// verification, memory per spent token and store rates, and stops them.
// `inproc_us` is the in-process CPU per /verify measured in the same run.
void RunRedisFleetBench(double inproc_us, int ops);

}  // namespace yesno::bench

#endif  // YESNO_BENCH_REDIS_FLEET_BENCH_H_
