#!/usr/bin/env python3
"""Times numpy-financial's `irr` on the flows the `loan/apr_dated_360` criterion bench
solves (a 360-payment monthly annuity: 5,000,000.00 at 24 %, from 2026-01-31), and
checks that ajo's `calc apr` finds the same APR from the same flows given by date.

Usage, from the project root:  python3 benches/py/time_numpy_financial_irr.py
Needs numpy-financial (`pip install numpy-financial`); `benches/compare.sh` makes a
virtualenv with it when it is missing.

The schedule is built here with the reference's rules (reference README §3: the
installment and each row's interest rounded half-even to the kobo, the last row taking
the rest), so the script stands alone.
"""
import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from decimal import ROUND_HALF_EVEN, Decimal, getcontext

import numpy_financial as npf

getcontext().prec = 50
KOBO = Decimal("0.01")


def annuity(principal, annual_rate, term):
    r = annual_rate / 12
    installment = (principal * r / (1 - (1 + r) ** -term)).quantize(KOBO, ROUND_HALF_EVEN)
    balance, rows = principal, []
    for k in range(1, term + 1):
        interest = (balance * annual_rate / 12).quantize(KOBO, ROUND_HALF_EVEN)
        pay = installment if k < term else balance + interest
        balance -= pay - interest
        rows.append(pay)
    return rows


def month_after(start, k):
    year, month = divmod(start.month - 1 + k, 12)
    year += start.year
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(start.day, last))


def main():
    principal, rate, term = Decimal("5000000.00"), Decimal("0.24"), 360
    start = dt.date(2026, 1, 31)
    payments = annuity(principal, rate, term)
    values = [-float(principal)] + [float(p) for p in payments]
    rounds = 21
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        irr = npf.irr(values)
        samples.append(time.perf_counter() - began)
    median = statistics.median(samples)
    numpy_apr = irr * 12
    request = {
        "convention": "us_reg_z", "unit_period": "month",
        "advances": [{"amount": str(principal), "date": start.isoformat()}],
        "payments": [{"amount": str(p), "date": month_after(start, k + 1).isoformat()}
                     for k, p in enumerate(payments)],
    }
    calc = subprocess.run(
        ["cargo", "run", "-q", "--release", "-p", "ajo-examples", "--example", "calc", "--", "apr"],
        input=json.dumps(request), capture_output=True, text=True, check=True)
    ajo_apr = Decimal(json.loads(calc.stdout)["apr"])
    print(f"numpy-financial {npf.__version__} irr, 360 monthly payments: {median * 1e3:.3f} ms "
          f"(median of {rounds}); APR numpy {numpy_apr:.12f}, ajo {ajo_apr:.12f}, "
          f"difference {abs(float(ajo_apr) - numpy_apr):.1e}")


if __name__ == "__main__":
    sys.exit(main())
