"""Fixtures for the npm package tests: the end-to-end suite's real `whatsapp-use serve`
(tests/mcp/conftest.py, loaded under a name of its own so both conftests coexist) and
its MCP client helpers."""
import importlib.util
import sys
from pathlib import Path

MCP_TESTS = Path(__file__).resolve().parents[1] / "mcp"
sys.path.insert(0, str(MCP_TESTS))

_spec = importlib.util.spec_from_file_location("wuse_mcp_conftest", MCP_TESTS / "conftest.py")
mcp_conftest = importlib.util.module_from_spec(_spec)
sys.modules["wuse_mcp_conftest"] = mcp_conftest
_spec.loader.exec_module(mcp_conftest)

BIN = mcp_conftest.BIN
# Fixtures, re-exported for the tests here.
anyio_backend = mcp_conftest.anyio_backend
server = mcp_conftest.server
