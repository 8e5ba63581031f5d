"""Agent-thread overhead per step (target < 50 us). Exports to a closed port; the export thread's
work is not on the agent's thread. Usage: PYTHONPATH=sdk/python python3 sdk/python/bench_overhead.py"""
import time

import tracery_sdk


def main(n=20000):
    for privacy in ("full", "mask", "metadata-only"):
        tracer = tracery_sdk.Tracer("bench", "1", endpoint="http://127.0.0.1:9", privacy=privacy,
                                    max_queue_size=n + 10, max_retries=0, export_timeout=0.2)
        with tracer.start_run(name="bench") as run:
            t0 = time.perf_counter()
            for i in range(n):
                with run.step("tool", "billing_api") as s:
                    s.set(order_id=i, region="eu-west-1")
                    s.set_tokens(input=100, output=20)
            dt = time.perf_counter() - t0
        print("privacy=%-13s %.1f us/step (%d steps)" % (privacy, dt / n * 1e6, n))
        tracer._exporter._closed = True
        tracer._exporter._stop.set()


if __name__ == "__main__":
    main()
