"""reportflow.timeseries: smoothing and forecasting on 1-D float arrays.

Moving averages (``sma``, ``cma``, ``wma``, ``double_ma``), exponential
smoothing (``ewma``, ``ses``, ``holt``, ``holt_winters``), error measures of
one-step-ahead forecasts (``sse``, ``mse``, ``mae``, ``mape``), parameter
fitting (``fit``) and O(1) online forms for live signals (``OnlineEWMA``,
``OnlineHolt``, ``OnlineHoltWinters``). Formulas and initialisation follow the
NIST/SEMATECH e-Handbook of Statistical Methods, section 6.4; see
``docs/timeseries.md``. Bad input raises ``ValueError`` naming the argument.
"""

from reportflow.timeseries._jit import KERNELS_COMPILED
from reportflow.timeseries.exponential import ewma, holt, ses
from reportflow.timeseries.fit import FitResult, fit
from reportflow.timeseries.holt_winters import holt_winters, hw_initial_values
from reportflow.timeseries.measures import mae, mape, mse, sse
from reportflow.timeseries.moving import DoubleMAResult, cma, double_ma, sma, wma
from reportflow.timeseries.online import OnlineEWMA, OnlineHolt, OnlineHoltWinters
from reportflow.timeseries.result import SmoothingResult

__all__ = [
    "KERNELS_COMPILED",
    "DoubleMAResult",
    "FitResult",
    "OnlineEWMA",
    "OnlineHolt",
    "OnlineHoltWinters",
    "SmoothingResult",
    "cma",
    "double_ma",
    "ewma",
    "fit",
    "holt",
    "holt_winters",
    "hw_initial_values",
    "mae",
    "mape",
    "mse",
    "ses",
    "sma",
    "sse",
    "wma",
]
