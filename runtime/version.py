"""Version strings of the bundled runtime (MMEngine's `mmengine/version.py`).

`__version__` is mmmigrate's own version: `migrate`, `mmrun` and the runtime are one release
(tests/test_runtime_startup_log.py checks it against pyproject.toml and `migrator.__version__`).

`mmengine_version()` is what the runtime writes wherever MMEngine writes `mmengine.__version__`
(+ a git hash when run inside a git checkout): checkpoint `meta['mmengine_version']`, the
MessageHub's runtime info `mmengine_version` (RuntimeInfoHook.before_run) and the `MMEngine:` line
of the logged system environment. It is a PEP 440 version with a local label,
`<MMENGINE_API>+mmmigrate.<__version__>` (e.g. `0.10.7+mmmigrate.0.1.0`): tools that compare
MMEngine versions (`digit_version`, `packaging.version.Version(...).public`) see the MMEngine
release whose behaviour the runtime reproduces and is tested against, and the label says which
runtime wrote the file.
"""
__version__ = "0.1.0"

MMENGINE_API = "0.10.7"


def mmengine_version() -> str:
    return f"{MMENGINE_API}+mmmigrate.{__version__}"
