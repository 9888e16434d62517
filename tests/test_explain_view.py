"""A classifier's local explanation on the probability scale still adds up, and names the class."""

import math

import pytest

from ui.explain_view import class_name, on_probability_scale


def test_probability_scale_adds_up_from_the_base_to_the_prediction():
    local = {"base_value": -2.0, "output_value": -0.5, "output": "log-odds of class 1",
             "contributions": {"debt_ratio": 1.2, "income": 0.6, "age": -0.3}, "values": {"debt_ratio": 0.7, "income": 1, "age": 40}}
    prob = on_probability_scale(local, "defaulted")
    assert prob["base_value"] == pytest.approx(1 / (1 + math.exp(2.0)))
    assert prob["output_value"] == pytest.approx(1 / (1 + math.exp(0.5)))
    assert prob["base_value"] + sum(prob["contributions"].values()) == pytest.approx(prob["output_value"])
    assert prob["contributions"]["debt_ratio"] > prob["contributions"]["income"] > 0 > prob["contributions"]["age"]
    assert prob["output"] == "probability of defaulted = 1"
    assert "38% probability of defaulted = 1" in prob["sentence"] and "debt_ratio" in prob["sentence"]


def test_class_name():
    assert class_name("log-odds of class 1", "defaulted") == "defaulted = 1"
    assert class_name("predicted value", "units") == "predicted value"
