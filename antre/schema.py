"""Every table of the app, for Alembic and the tests: importing the models registers them."""

from api import models as _api_models  # noqa: F401
from booking.models import Base
from console import models as _console_models  # noqa: F401
from sms import models as _sms_models  # noqa: F401
from ussd import models as _ussd_models  # noqa: F401

metadata = Base.metadata
