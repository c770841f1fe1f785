"""The few statsmodels pieces likstall uses, imported from their modules.

`statsmodels.api` also imports statsmodels' graphics and time-series packages (and with them
scipy.signal): about 2 s at every start of the command line, for nothing we use.
"""

from statsmodels.discrete.discrete_model import NegativeBinomial
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.tools import add_constant

__all__ = ["GLM", "NegativeBinomial", "add_constant", "families"]
