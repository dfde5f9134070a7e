"""Packaging metadata for requests-dav."""

from setuptools import find_packages, setup

with open("README.md", encoding="utf-8") as readme:
    long_description = readme.read()

setup(
    name="requests-dav",
    version="0.1.0.dev0",
    description=(
        "HTTP authentication done right (body replay on 401/407, protection spaces, "
        "proxy auth through CONNECT) and a WebDAV session for requests"
    ),
    long_description=long_description,
    long_description_content_type="text/markdown",
    # an SPDX license expression (PEP 639, Core Metadata 2.4; setuptools >= 77), and no
    # license classifier (deprecated by PEP 639)
    license_expression="MIT",
    license_files=["LICENSE"],
    python_requires=">=3.9",
    packages=find_packages(include=["requests_dav", "requests_dav.*"]),
    package_data={"requests_dav": ["py.typed"]},
    zip_safe=False,
    install_requires=[
        "requests>=2.32.3",
        "urllib3>=2.6.0",  # 2.6 decodes a compressed stream in bounded steps
        "xmltodict>=0.13",
    ],
    extras_require={
        "lxml": ["lxml>=5.0"],
        "spnego": ["pyspnego>=0.9"],
        "kerberos": ["pyspnego>=0.12", "gssapi>=1.12", "krb5>=0.10"],
        "cli": ["click>=8.1", "tqdm>=4.66"],
        "demo": ["wsgidav>=4.3", "cheroot>=10.0", "click>=8.1", "tqdm>=4.66"],
        "test": [
            "pytest>=8.0",
            "pytest-timeout>=2.3",
            "responses>=0.25",
            "hypothesis>=6.100",
            "wsgidav>=4.3",
            "cheroot>=10.0",
            "click>=8.1",
            "tqdm>=4.66",
            "lxml>=5.0",
            "pyspnego>=0.9",
            "radicale>=3.9",
            "xandikos>=0.4.10; python_version >= '3.10'",  # it needs 3.10
            "gssapi>=1.12",
            "krb5>=0.10",
            "pytest-httpbin>=2.1",
            "httpbin>=0.10",
            "pytest-mock>=3.10",
            "trustme>=1.0",
            "PySocks>=1.7",
            "fsspec>=2024.2.0",
            "pandas>=2.0",
            "pyarrow>=14.0",
            "dask[dataframe]>=2024.1",
        ],
        "docs": ["sphinx>=7.0", "fsspec>=2024.2.0"],
        "fsspec": ["fsspec>=2024.2.0"],
        "lint": [
            "ruff>=0.6",
            # mypy checks as Python 3.9 (the oldest supported): mypy 2 no longer can, and
            # click 8.2+ (Python >= 3.10 only) has syntax 3.9 does not parse; mypy follows
            # the imports of cli/ and demo/ into click, so it gets the click 3.9 users get
            "mypy>=1.10,<2",
            "types-requests",
            "pyspnego>=0.9",
            "click>=8.1,<8.2",
            "tqdm>=4.66",
        ],
    },
    entry_points={
        "console_scripts": ["requests-dav = requests_dav.cli:main"],
        "requests_dav.schemes": [
            "basic = requests_dav.auth.schemes.basic:BasicScheme",
            "digest = requests_dav.auth.schemes.digest:DigestScheme",
            "ntlm = requests_dav.auth.schemes.spnego:NTLMScheme",
            "negotiate = requests_dav.auth.schemes.spnego:NegotiateScheme",
        ],
        "fsspec.specs": [
            "dav = requests_dav.fs:DAVFileSystem",
            "davs = requests_dav.fs:DAVSFileSystem",
        ],
    },
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Intended Audience :: Developers",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Topic :: Internet :: WWW/HTTP",
        "Typing :: Typed",
    ],
)
