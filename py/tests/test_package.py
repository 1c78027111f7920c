"""The package as installed from the wheel: exports, the error hierarchy,
docstrings, type stubs, the wheel's metadata and its bundled libraries."""

import ast
import base64
import csv
import hashlib
import io
import os
import pathlib
import pydoc
import subprocess
import zipfile

import pytest
from packaging import tags

import ipckit
from ipckit import _ipckit

PACKAGE_DIR = pathlib.Path(ipckit.__file__).parent


def test_version():
    assert ipckit.__version__ == "0.2.0"
    assert _ipckit.FORMAT_VERSION == 1  # the wire format version is separate


def test_all_exports_exist_and_claim_the_package():
    for name in ipckit.__all__:
        obj = getattr(ipckit, name)
        if isinstance(obj, type):
            assert obj.__module__ == "ipckit", name


@pytest.mark.parametrize("cls, error_class, builtin", [
    (ipckit.InvalidArgumentError, "invalid_argument", ValueError),
    (ipckit.NotFoundError, "not_found", FileNotFoundError),
    (ipckit.InUseError, "in_use", FileExistsError),
    (ipckit.IpcTimeoutError, "timeout", TimeoutError),
    (ipckit.PeerClosedError, "peer_closed", ConnectionError),
    (ipckit.TruncatedError, "truncated", None),
    (ipckit.TooLargeError, "too_large", ValueError),
    (ipckit.CorruptError, "corrupt", None),
    (ipckit.UnsupportedVersionError, "unsupported_version", None),
    (ipckit.OutOfRangeError, "out_of_range", IndexError),
    (ipckit.PermissionDeniedError, "permission_denied", PermissionError),
    (ipckit.ClosedError, "closed", None),
    (ipckit.DataLossError, "data_loss", None),
    (ipckit.IpcError, "io", Exception),
])
def test_error_hierarchy(cls, error_class, builtin):
    """The table in spec/conventions.md, "Error classes"."""
    assert issubclass(cls, ipckit.IpcError)
    assert cls.error_class == error_class
    if builtin is not None:
        assert issubclass(cls, builtin)
    error = cls("what went wrong")
    assert str(error) == "what went wrong"


def test_raised_errors_carry_their_class():
    with pytest.raises(ipckit.IpcError) as info:
        ipckit.SharedMemory.open("no_such_segment_%d" % os.getpid())
    assert info.value.error_class == "not_found"
    assert "no_such_segment" in str(info.value)


@pytest.mark.parametrize("cls", [ipckit.AnonymousPipe, ipckit.NamedPipe, ipckit.SharedMemory,
                                 ipckit.IpcChannel, ipckit.FileChannel])
def test_help_is_useful(cls):
    text = pydoc.render_doc(cls)
    assert "ipckit." + cls.__name__ in text or cls.__name__ in text
    assert cls.__doc__ and len(cls.__doc__) > 100
    public = [n for n in dir(cls) if not n.startswith("_")]
    for name in public:
        doc = getattr(cls, name).__doc__
        assert doc, "%s.%s has no docstring" % (cls.__name__, name)


def _stub_tree():
    path = PACKAGE_DIR / "__init__.pyi"
    assert path.is_file(), "the wheel must ship ipckit/__init__.pyi"
    return ast.parse(path.read_text())


def _stub_classes(tree):
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    members = {}
    for name, node in classes.items():
        names = {item.name for item in node.body if isinstance(item, ast.FunctionDef)}
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id.startswith("_") and base.id in classes:
                names |= {i.name for i in classes[base.id].body if isinstance(i, ast.FunctionDef)}
        members[name] = names
    return members


def test_stubs_match_the_runtime():
    assert (PACKAGE_DIR / "py.typed").is_file()
    tree = _stub_tree()
    members = _stub_classes(tree)
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    for name in ipckit.__all__:
        if name == "__version__":
            continue
        obj = getattr(ipckit, name)
        if not isinstance(obj, type):
            assert name in functions, "stub lacks function %s" % name
            continue
        assert name in members, "stub lacks class %s" % name
        if issubclass(obj, BaseException):
            continue
        runtime = {n for n in vars(obj) if not n.startswith("_") or n in ("__enter__", "__exit__")}
        stubbed = {n for n in members[name] if not n.startswith("_") or n in ("__enter__", "__exit__")}
        assert runtime - stubbed == set(), "%s: not in the stub" % name
        assert stubbed - runtime == set(), "%s: in the stub only" % name


def _wheel():
    path = os.environ.get("IPCKIT_WHEEL")
    if not path:
        pytest.skip("IPCKIT_WHEEL is set by py/run_tests.sh")
    return zipfile.ZipFile(path)


def test_wheel_record_matches_contents():
    with _wheel() as wheel:
        names = wheel.namelist()
        record_name = "ipckit-0.2.0.dist-info/RECORD"
        assert names[-1] == record_name
        rows = list(csv.reader(io.StringIO(wheel.read(record_name).decode())))
        listed = {row[0] for row in rows}
        # RECORD lists files; auditwheel also writes directory entries.
        assert listed == {name for name in names if not name.endswith("/")}
        for path, digest, size in rows:
            if path == record_name:
                assert digest == "" and size == ""
                continue
            data = wheel.read(path)
            want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert digest == "sha256=" + want, path
            assert int(size) == len(data), path
        for info in wheel.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0), info.filename


def test_wheel_metadata_and_tag():
    with _wheel() as wheel:
        meta = wheel.read("ipckit-0.2.0.dist-info/METADATA").decode()
        assert "Name: ipckit\n" in meta and "Version: 0.2.0\n" in meta
        wheel_info = wheel.read("ipckit-0.2.0.dist-info/WHEEL").decode()
        assert "Root-Is-Purelib: false" in wheel_info
        tag = wheel_info.split("Tag: ")[1].split()[0]
        assert tags.Tag(*tag.split("-")) in set(tags.sys_tags())
        # py/run_tests.sh hands over the wheel auditwheel repaired; the floor
        # is written in py/PLATFORMS.md.
        assert tag.split("-")[2] == "manylinux_2_35_x86_64", tag
        assert os.path.basename(wheel.filename) == "ipckit-0.2.0-%s.whl" % tag
        assert wheel.read("ipckit-0.2.0.dist-info/top_level.txt") == b"ipckit\n"
        names = wheel.namelist()
        for required in ("ipckit/__init__.py", "ipckit/__init__.pyi", "ipckit/py.typed",
                         "ipckit/__main__.py"):
            assert required in names
        assert any(n.startswith("ipckit/.libs/libabsl_") for n in names)


def test_extension_loads_the_bundled_libraries():
    extension = _ipckit.__file__
    dynamic = subprocess.run(["readelf", "-d", extension], capture_output=True, text=True,
                             check=True).stdout
    assert "Library rpath: [$ORIGIN/.libs]" in dynamic
    libs_dir = str(PACKAGE_DIR / ".libs") + "/"
    with open("/proc/self/maps") as maps:
        absl = {line.split()[-1] for line in maps if "libabsl_" in line}
    assert absl and all(path.startswith(libs_dir) for path in absl), sorted(absl)
