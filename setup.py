"""The one piece of the build pyproject.toml can't say: the data folders go into the package.

checks/, rules/, searches/, mappings/ and kibana/ stay where they are edited, at the top of the
repository; the build maps each one to the package `tattletrail.shipped.NAME`, so the wheel holds
them as tattletrail/shipped/NAME/ and tattletrail/packs.py finds them with importlib.resources. A
source checkout (or an editable install) has no shipped/ folder and reads the top-level folders.
"""

from setuptools import find_packages, setup

SHIPPED = ("checks", "rules", "searches", "mappings", "kibana")  # tattletrail.packs.SHIPPED
DATA_FILES = ["*.yml", "*.yaml", "*.json", "*.ndjson", "*.txt"]

setup(
    packages=[*find_packages(include=["tattletrail", "tattletrail.*"]), *(f"tattletrail.shipped.{name}" for name in SHIPPED)],
    package_dir={f"tattletrail.shipped.{name}": name for name in SHIPPED},
    package_data={"tattletrail": ["py.typed"], **{f"tattletrail.shipped.{name}": DATA_FILES for name in SHIPPED}},
)
