#!/usr/bin/env python3
"""Times the reference generator (../shared/reference/make_reference.py, unmodified) on
the cases the `loan` criterion bench measures, for docs/performance.md.

Usage, from the project root:  python3 benches/py/time_reference_loan.py [REFERENCE_DIR]

`loan_schedule` is the generator's whole computation of one case: the schedule rows,
the IRR and the APR / effective annual rate, at 50 significant digits.
`irr_periodic` alone is also timed, so the schedule's share can be told apart.
"""
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "shared", "reference")
sys.path.insert(0, os.path.abspath(REFERENCE))
import make_reference as ref  # noqa: E402  (path set above)

CASES = {
    # Same terms as benches/benches/loan.rs.
    "annuity_360": {"method": "annuity", "currency": "NGN", "minor_units": 2,
                    "principal": "5000000.00", "annual_rate": "0.24", "term": 360,
                    "frequency": "monthly", "disbursement_date": "2026-01-31"},
    "flat_60": {"method": "flat", "currency": "NGN", "minor_units": 2,
                "principal": "1000000.00", "annual_rate": "0.365", "term": 60,
                "frequency": "monthly", "disbursement_date": "2026-01-31"},
}


def timed(fn, rounds):
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    print(f"python {sys.version.split()[0]}, decimal precision {ref.getcontext().prec}")
    for name, inputs in CASES.items():
        expected, _ = ref.loan_schedule(inputs)
        rounds = 21 if inputs["term"] > 100 else 101
        whole = timed(lambda: ref.loan_schedule(inputs), rounds)
        payments = [ref.D(r["installment"]) for r in expected["schedule"]]
        principal = ref.D(inputs["principal"])
        irr = timed(lambda: ref.irr_periodic(principal, payments), rounds)
        print(f"{name}: loan_schedule (rows + IRR + APR/EAR) {whole * 1e3:.2f} ms, "
              f"irr_periodic alone {irr * 1e3:.2f} ms, rows and the rest {(whole - irr) * 1e3:.2f} ms "
              f"(median of {rounds})")


if __name__ == "__main__":
    main()
