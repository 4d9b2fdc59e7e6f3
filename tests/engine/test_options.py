import dataclasses
import inspect

import pytest

from autolog.engine import AutologOptions, autolog, get_options
from autolog.exceptions import InvalidInputError


def test_signature_defaults_match_the_options_dataclass():
    parameters = inspect.signature(autolog).parameters
    for field in dataclasses.fields(AutologOptions):
        default = field.default if field.default is not dataclasses.MISSING else field.default_factory()
        signature_default = parameters[field.name].default
        assert signature_default == default or (signature_default is None and not default), field.name


def test_unknown_option_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="log_everything"):
        autolog(log_everything=True)


@pytest.mark.parametrize(
    "option, value",
    [
        ("log_models", "yes"),
        ("max_tuning_runs", -1),
        ("max_tuning_runs", True),
        ("serialization_format", "xml"),
        ("extra_tags", ["a"]),
        ("include", [3]),
        ("pos_label", ["unhashable"]),
        ("registered_model_name", ""),
    ],
)
def test_bad_values_are_rejected_naming_the_option(option, value):
    with pytest.raises(InvalidInputError, match=option):
        autolog(**{option: value})


def test_options_are_frozen_and_each_call_replaces_them():
    autolog(log_models=False, extra_tags={"team": 7}, include="sklearn.preprocessing")
    options = get_options()
    assert options.log_models is False
    assert options.extra_tags == {"team": "7"}
    assert options.include == ("sklearn.preprocessing",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.log_models = True
    autolog()
    assert get_options().log_models is True


def test_disable_records_the_option():
    autolog(disable=True)
    assert get_options().disable is True
