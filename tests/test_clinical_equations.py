"""Published test vectors for the kidney function and body size equations (reference values, stated decimals)."""

import polars as pl
import pytest

from ecrf.clinical.bsa import mosteller, mosteller_expr
from ecrf.clinical.egfr import bedside_schwartz, ckd_epi_2021, ckid_u25, creatinine_mgdl, egfr_expr


@pytest.mark.parametrize("sex,age,height_cm,scr,expected", [
    ("M", 11, 120, 0.9, 51.6), ("F", 11, 120, 0.9, 47.8),
    ("M", 15, 160, 1.9, 37.5), ("F", 15, 160, 1.9, 32.5),
    ("M", 20, 181, 2.1, 43.8), ("F", 20, 181, 2.1, 35.7),
])
def test_ckid_u25_pierce_2021(sex, age, height_cm, scr, expected):
    assert round(ckid_u25(sex, age, height_cm, scr), 1) == expected


def test_ckid_u25_unknown_sex_is_null():
    assert ckid_u25("U", 11, 120, 0.9) is None


def test_bedside_schwartz():
    assert round(bedside_schwartz(100, 0.4), 1) == 103.2


def test_ckd_epi_2021():
    assert round(ckd_epi_2021("M", 55, 1.2), 1) == 71.4


def test_mosteller():
    assert round(mosteller(140, 35), 3) == 1.167


def test_creatinine_conversion():
    # 79.56 umol/L / 88.4 = 0.9 mg/dL; mg/dL passes through; an unknown unit gives no number.
    assert creatinine_mgdl(79.56, "umol/L") == pytest.approx(0.9)
    assert creatinine_mgdl(0.9, "mg/dL") == pytest.approx(0.9)
    assert creatinine_mgdl(0.9, "g/L") is None


def test_expressions_over_columns():
    df = pl.DataFrame({"sex": ["M", "F"], "age": [11.0, 15.0], "h": [120.0, 160.0], "scr": [0.9, 1.9],
                       "w": [35.0, 50.0]})
    out = df.select(egfr_expr("CKID_U25", pl.col("sex"), pl.col("age"), pl.col("h"), pl.col("scr")).round(1).alias("e"),
                    mosteller_expr(pl.col("h"), pl.col("w")).round(3).alias("bsa"))
    assert out["e"].to_list() == [51.6, 32.5]
    assert out["bsa"].to_list() == [round(mosteller(120, 35), 3), round(mosteller(160, 50), 3)]
