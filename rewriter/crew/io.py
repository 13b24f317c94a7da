"""Read and write orders-and-operators instances (JSON or CSV) and solutions (JSON).

Instance JSON (issue 38's contract)::

    {"name": "depot", "speed": 50, "alpha": 1, "beta": 3.5,
     "orders": [{"x": 10, "y": 20, "hours": 1.5}, ...],
     "operators": [{"x": 0, "y": 0, "capacity": 40, "active": true}, ...],
     "travel": {"operator_order": [[...n values...] per operator],
                "order_order": [[...n values...] per order]}}

``name`` defaults to the file stem; ``speed``, ``alpha`` and ``beta`` to 1, 1 and 0 when absent
(only then: a null is refused). ``travel`` and each of its two matrices are optional: a matrix
that is given replaces the Euclidean travel time it covers (:mod:`rewriter.crew.instance`).
``metadata`` (an object) is kept as it is. Any other key is refused, so that a typo such as
``"bata"`` cannot silently fall back to a default. ``active`` is ``true``/``false`` (or 1/0).

Instance CSV: one file, the header ``kind,x,y,hours,capacity,active`` and one row per item::

    kind,x,y,hours,capacity,active
    name,depot
    speed,50
    alpha,1
    beta,3.5
    order,10,20,1.5,,
    operator,0,0,,40,true

An ``order`` row fills x, y and hours (capacity and active empty); an ``operator`` row fills x,
y, capacity and active (true/false/1/0; hours empty). A parameter row (``name``, ``speed``,
``alpha``, ``beta``, each at most once) puts its value in the second column and leaves the rest
empty. Empty trailing cells may be left out; blank lines and lines starting with ``#`` are
skipped; ``kind`` and the header are case-insensitive. Orders and operators are numbered by their
order of appearance, from 0. The CSV form has no travel matrices.

Solution JSON: :meth:`CrewSchedule.to_dict` (``routes``: one list of order indices per operator,
in the order served; ``objective``, ``makespan``, ``activated``, ...) with any extra keys first.

Every malformed file raises one :class:`~rewriter.errors.InputError` naming the file (and the
line, for invalid JSON and for CSV), the item (``orders[3].hours``) and what was expected. A file
whose orders some operator can never reach within its capacity is refused as infeasible, naming
the order. Writers replace the target atomically (:mod:`rewriter.atomic`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import numpy as np

from ..atomic import write_atomic
from ..errors import InputError
from ..textfile import clip, lines, parse_json_strict, read_bytes, read_json, read_text, shown
from .instance import _MAX_ABS, CrewInstance
from .schedule import CrewSchedule

__all__ = ["read_instance", "read_json_instance", "read_csv_instance", "parse_csv",
           "instance_from_dict", "instance_to_dict", "write_instance", "write_json", "write_csv",
           "csv_text", "json_text", "write_solution", "read_solution", "routes_from_dict",
           "claimed_from_dict", "looks_like_crew", "JSON_KEYS", "CSV_HEADER", "DEFAULTS"]

#: the top-level keys of an instance JSON object
JSON_KEYS = ("name", "orders", "operators", "speed", "alpha", "beta", "travel", "metadata")
ORDER_KEYS = ("x", "y", "hours")
OPERATOR_KEYS = ("x", "y", "capacity", "active")
TRAVEL_KEYS = ("operator_order", "order_order")
#: the values of speed, alpha and beta when a file does not give them
DEFAULTS = {"speed": 1.0, "alpha": 1.0, "beta": 0.0}
CSV_HEADER = ("kind", "x", "y", "hours", "capacity", "active")
_PARAMETER_ROWS = ("name", "speed", "alpha", "beta")
#: the claimed values of a solution file the validator compares with the true ones
CLAIMED_KEYS = ("objective", "makespan", "activated")
# a decimal number as a CSV cell: float() would also take 'nan', 'inf', '1_0' and ' 1 '
_DECIMAL = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_TRUE, _FALSE = ("true", "1"), ("false", "0")
_EXPECTED = "a crew instance (JSON with orders and operators, or CSV with header " \
            "kind,x,y,hours,capacity,active)"


# ---- small checks ------------------------------------------------------------------------------
def _number(value, where: str, fail, low: float | None = None, positive: bool = False) -> float:
    """A JSON number (int or float, never a bool) that is finite and within the instance's
    range; ``low``: a lower bound, ``positive``: strictly above 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(f"{where}: expected a number, found {shown(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise fail(f"{where}: expected a finite number, found {shown(value)}")
    if abs(value) > _MAX_ABS:  # compared as an int first: float(10**400) overflows
        found = shown(value) if isinstance(value, float) else clip(str(value))
        raise fail(f"{where}: expected a number of absolute value at most {_MAX_ABS:g}, "
                   f"found {found}")
    value = float(value)
    if positive and value <= 0:
        raise fail(f"{where}: expected a number > 0, found {_show_number(value)}")
    if low is not None and value < low:
        raise fail(f"{where}: expected a number >= {low:g}, found {_show_number(value)}")
    return value


def _show_number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 2 ** 53 else repr(value)


def _flag(value, where: str, fail) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise fail(f"{where}: expected true or false, found {shown(value)}")


def _check_keys(item, where: str, known: tuple, required: tuple, fail, what: str) -> None:
    if not isinstance(item, dict):
        raise fail(f"{where}: expected {what}, found {shown(item)}")
    unknown = [key for key in item if key not in known]
    if unknown:
        raise fail(f"{where}: unknown key {unknown[0]!r}; expected {', '.join(known)}")
    missing = [key for key in required if key not in item]
    if missing:
        raise fail(f"{where}: missing key{'s' if len(missing) > 1 else ''} "
                   f"{', '.join(map(repr, missing))}; expected {', '.join(known)}")


# ---- instances: JSON ---------------------------------------------------------------------------
def instance_from_dict(data, path=None, default_name: str = "instance",
                       check_feasible: bool = True) -> CrewInstance:
    """An instance from its JSON form (module docstring), every field checked; errors name
    ``path`` and the item. ``check_feasible``: refuse an order no operator can reach."""
    def fail(message):
        return InputError(message, path=path)

    if not isinstance(data, dict):
        raise fail(f"expected a JSON object with keys orders and operators, found "
                   f"{type(data).__name__}")
    if "routes" in data and "orders" not in data:
        raise fail("this is a solution file (it has routes); expected an instance with orders "
                   "and operators")
    unknown = [key for key in data if key not in JSON_KEYS]
    if unknown:
        raise fail(f"unknown key {unknown[0]!r}; expected {', '.join(JSON_KEYS)}")
    missing = [key for key in ("orders", "operators") if key not in data]
    if missing:
        raise fail(f"missing key{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}; "
                   f"expected {', '.join(JSON_KEYS)}")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise fail(f"name: expected a non-empty string, found {shown(name)}")
    orders = _items(data["orders"], "orders", ORDER_KEYS, fail)
    operators = _items(data["operators"], "operators", OPERATOR_KEYS, fail)
    xy, hours = [], []
    for i, order in enumerate(orders):
        where = f"orders[{i}]"
        _check_keys(order, where, ORDER_KEYS, ORDER_KEYS, fail, "an object {x, y, hours}")
        xy.append((_number(order["x"], f"{where}.x", fail), _number(order["y"], f"{where}.y", fail)))
        hours.append(_number(order["hours"], f"{where}.hours", fail, low=0))
    starts, capacity, active = [], [], []
    for k, operator in enumerate(operators):
        where = f"operators[{k}]"
        _check_keys(operator, where, OPERATOR_KEYS, OPERATOR_KEYS, fail,
                    "an object {x, y, capacity, active}")
        starts.append((_number(operator["x"], f"{where}.x", fail),
                       _number(operator["y"], f"{where}.y", fail)))
        capacity.append(_number(operator["capacity"], f"{where}.capacity", fail, low=0))
        active.append(_flag(operator["active"], f"{where}.active", fail))
    speed = _number(data.get("speed", DEFAULTS["speed"]), "speed", fail, positive=True)
    alpha = _number(data.get("alpha", DEFAULTS["alpha"]), "alpha", fail, low=0)
    beta = _number(data.get("beta", DEFAULTS["beta"]), "beta", fail, low=0)
    start_travel = order_travel = None
    if "travel" in data:
        travel = data["travel"]
        _check_keys(travel, "travel", TRAVEL_KEYS, (), fail,
                    "an object {operator_order, order_order}")
        n, m = len(orders), len(operators)
        if "operator_order" in travel:
            start_travel = _matrix(travel["operator_order"], "travel.operator_order", m, n,
                                   "operator", fail)
        if "order_order" in travel:
            order_travel = _matrix(travel["order_order"], "travel.order_order", n, n, "order", fail)
    metadata = data.get("metadata", {})
    if not isinstance(metadata, dict):
        raise fail(f"metadata: expected an object, found {shown(metadata)}")
    return _build(fail, name, xy, hours, starts, capacity, active, speed, alpha, beta,
                  start_travel, order_travel, dict(metadata), check_feasible)


def _items(value, key: str, fields: tuple, fail) -> list:
    if not isinstance(value, list) or not value:
        raise fail(f"{key}: expected a non-empty list of {{{', '.join(fields)}}} objects, "
                   f"found {shown(value)}")
    return value


def _matrix(value, where: str, rows: int, columns: int, row_kind: str, fail) -> np.ndarray:
    """A rows x columns matrix of travel times >= 0 (a list of lists of numbers)."""
    if not isinstance(value, list) or len(value) != rows:
        size = len(value) if isinstance(value, list) else shown(value)
        raise fail(f"{where}: expected {rows} rows (one per {row_kind}) of {columns} travel "
                   f"times, found {size}")
    for i, row in enumerate(value):
        if not isinstance(row, list) or len(row) != columns:
            size = f"{len(row)} values" if isinstance(row, list) else shown(row)
            raise fail(f"{where}[{i}]: expected {columns} travel times (one per order), found {size}")
        if not all(type(v) is float or type(v) is int for v in row):  # the common case, fast
            for j, v in enumerate(row):
                _number(v, f"{where}[{i}][{j}]", fail)
        if any(type(v) is int and abs(v) > _MAX_ABS for v in row):
            for j, v in enumerate(row):
                _number(v, f"{where}[{i}][{j}]", fail)
    matrix = np.array(value, dtype=np.float64)
    bad = ~np.isfinite(matrix) | (matrix < 0) | (matrix > _MAX_ABS)
    if bad.any():
        i, j = (int(x) for x in np.argwhere(bad)[0])
        _number(value[i][j], f"{where}[{i}][{j}]", fail, low=0)
    return matrix


def _build(fail, name, xy, hours, starts, capacity, active, speed, alpha, beta,
           start_travel, order_travel, metadata, check_feasible) -> CrewInstance:
    try:
        instance = CrewInstance(name, np.array(xy, dtype=np.float64).reshape(-1, 2),
                                np.array(hours, dtype=np.float64),
                                np.array(starts, dtype=np.float64).reshape(-1, 2),
                                np.array(capacity, dtype=np.float64), np.array(active, dtype=bool),
                                speed=speed, alpha=alpha, beta=beta, start_travel=start_travel,
                                order_travel=order_travel, metadata=metadata)
        if check_feasible:
            instance.check_feasible()
    except InputError as exc:
        raise fail(exc.reason) from None
    return instance


def read_json_instance(path, check_feasible: bool = True) -> CrewInstance:
    """Read an instance JSON file (module docstring); the name defaults to the file stem."""
    path = Path(path)
    data = parse_json_strict(read_text(path, "a crew instance JSON file"), path,
                              "a crew instance JSON file")
    return instance_from_dict(data, path=path, default_name=path.stem,
                              check_feasible=check_feasible)


def instance_to_dict(instance: CrewInstance) -> dict:
    """The instance's JSON form (explicit matrices under ``travel`` when it has them)."""
    data = {"name": instance.name, "speed": _plain(instance.speed),
            "alpha": _plain(instance.alpha), "beta": _plain(instance.beta),
            "orders": [{"x": _plain(x), "y": _plain(y), "hours": _plain(h)} for (x, y), h in
                       zip(instance.orders.tolist(), instance.hours.tolist())],
            "operators": [{"x": _plain(x), "y": _plain(y), "capacity": _plain(c), "active": a}
                          for (x, y), c, a in zip(instance.operators.tolist(),
                                                  instance.capacity.tolist(),
                                                  instance.active.tolist())]}
    travel = {}
    if instance.start_travel is not None:
        travel["operator_order"] = [[_plain(v) for v in row] for row in instance.start_travel.tolist()]
    if instance.order_travel is not None:
        travel["order_order"] = [[_plain(v) for v in row] for row in instance.order_travel.tolist()]
    if travel:
        data["travel"] = travel
    if instance.metadata:
        data["metadata"] = instance.metadata
    return data


def _plain(value: float):
    """An integral float as an int (``3`` rather than ``3.0``); the value reads back exactly."""
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 2 ** 53 else value


def json_text(instance: CrewInstance) -> str:
    """The instance JSON, one order, operator or matrix row per line."""
    data = instance_to_dict(instance)
    parts = [json.dumps({key: data[key] for key in ("name", "speed", "alpha", "beta")})[:-1]]
    for key in ("orders", "operators"):
        parts.append(f'"{key}": [\n  ' + ",\n  ".join(json.dumps(item) for item in data[key]) + "\n]")
    if "travel" in data:
        blocks = [f'"{key}": [\n  ' + ",\n  ".join(json.dumps(row) for row in rows) + "\n]"
                  for key, rows in data["travel"].items()]
        parts.append('"travel": {' + ",\n".join(blocks) + "}")
    if "metadata" in data:
        parts.append(f'"metadata": {json.dumps(data["metadata"])}')
    return parts[0] + ",\n" + ",\n".join(parts[1:]) + "}\n"


def write_json(instance: CrewInstance, path) -> None:
    """Write the instance JSON atomically."""
    write_atomic(Path(path), json_text(instance))


# ---- instances: CSV ----------------------------------------------------------------------------
def parse_csv(text: str, path=None, check_feasible: bool = True) -> CrewInstance:
    """An instance from its CSV form (module docstring); errors name ``path`` and the line."""
    path = Path(path) if path is not None else None
    source = path if path is not None else "<text>"

    def fail(message, line=None):
        return InputError(message, path=source, line=line)

    records = _csv_records(text, fail)
    if not records:
        raise fail(f"the file is empty; expected the header {','.join(CSV_HEADER)}")
    header_line, header = records[0]
    if tuple(cell.strip().lower() for cell in header) != CSV_HEADER:
        raise fail(f"expected the header {','.join(CSV_HEADER)}, found {shown(','.join(header))}",
                   header_line)
    parameters, parameter_lines = {}, {}
    xy, hours, starts, capacity, active, order_lines = [], [], [], [], [], []
    for line, record in records[1:]:
        cells = [cell.strip() for cell in record]
        if len(cells) > len(CSV_HEADER):
            raise fail(f"expected at most {len(CSV_HEADER)} cells like the header, found "
                       f"{len(cells)}", line)
        cells += [""] * (len(CSV_HEADER) - len(cells))
        kind = cells[0].lower()
        if kind == "order":
            _empty_cells(cells, ("capacity", "active"), "an order row", fail, line)
            xy.append((_cell(cells, "x", fail, line), _cell(cells, "y", fail, line)))
            hours.append(_cell(cells, "hours", fail, line, low=0))
            order_lines.append(line)
        elif kind == "operator":
            _empty_cells(cells, ("hours",), "an operator row", fail, line)
            starts.append((_cell(cells, "x", fail, line), _cell(cells, "y", fail, line)))
            capacity.append(_cell(cells, "capacity", fail, line, low=0))
            flag = cells[CSV_HEADER.index("active")].lower()
            if flag not in _TRUE + _FALSE:
                raise fail(f"active: expected true, false, 1 or 0, found {shown(flag)}", line)
            active.append(flag in _TRUE)
        elif kind in _PARAMETER_ROWS:
            if kind in parameters:
                raise fail(f"a second {kind} row (the first is on line {parameter_lines[kind]}); "
                           "expected each parameter at most once", line)
            _empty_cells(cells, CSV_HEADER[2:], f"a {kind} row (value in the second column)",
                         fail, line)
            value = cells[1]
            if kind == "name":
                if not value:
                    raise fail("name: expected a non-empty name in the second column", line)
                parameters[kind] = value
            else:
                parameters[kind] = _decimal(value, kind, fail, line, low=0, positive=kind == "speed")
            parameter_lines[kind] = line
        else:
            raise fail(f"unknown kind {shown(cells[0])}; expected order, operator, "
                       f"{', '.join(_PARAMETER_ROWS)}", line)
    if not xy:
        raise fail("no order rows; expected at least one row 'order,x,y,hours,,'")
    if not starts:
        raise fail("no operator rows; expected at least one row 'operator,x,y,,capacity,active'")
    name = parameters.get("name", path.stem if path is not None else "instance")
    instance = _build(lambda message: fail(message), name, xy, hours, starts, capacity, active,
                      parameters.get("speed", DEFAULTS["speed"]),
                      parameters.get("alpha", DEFAULTS["alpha"]),
                      parameters.get("beta", DEFAULTS["beta"]), None, None, {}, False)
    if check_feasible and not instance.reachable.all():
        i = int(np.argmin(instance.reachable))  # named by its line, where the file has one
        try:
            instance.check_feasible()
        except InputError as exc:
            raise fail(exc.reason, order_lines[i]) from None
    return instance


def _csv_records(text: str, fail) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every record that is not blank or a '#' comment."""
    out = []
    for number, line in enumerate(lines(text), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if '"' in line:  # a quoted cell: let the csv module read it (no line breaks inside)
            try:
                record = next(csv.reader([line]))
            except csv.Error as exc:
                raise fail(f"malformed CSV: {exc}", number) from None
        else:
            record = line.split(",")
        out.append((number, record))
    return out


def _empty_cells(cells: list[str], columns: tuple, what: str, fail, line: int) -> None:
    for column in columns:
        value = cells[CSV_HEADER.index(column)]
        if value:
            raise fail(f"{column}: expected an empty cell in {what}, found {shown(value)}", line)


def _cell(cells: list[str], column: str, fail, line: int, low: float | None = None) -> float:
    return _decimal(cells[CSV_HEADER.index(column)], column, fail, line, low)


def _decimal(cell: str, what: str, fail, line: int, low: float | None = None,
             positive: bool = False) -> float:
    if _DECIMAL.fullmatch(cell) is None:
        raise fail(f"{what}: expected a number, found {shown(cell)}", line)
    value = float(cell)
    if not math.isfinite(value) or abs(value) > _MAX_ABS:
        raise fail(f"{what}: expected a number of absolute value at most {_MAX_ABS:g}, found "
                   f"{shown(cell)}", line)
    if positive and value <= 0:
        raise fail(f"{what}: expected a number > 0, found {cell}", line)
    if low is not None and value < low:
        raise fail(f"{what}: expected a number >= {low:g}, found {cell}", line)
    return value


def read_csv_instance(path, check_feasible: bool = True) -> CrewInstance:
    """Read an instance CSV file (module docstring); the name defaults to the file stem."""
    path = Path(path)
    return parse_csv(read_text(path, "a crew instance CSV file"), path, check_feasible)


def csv_text(instance: CrewInstance) -> str:
    """The instance CSV; an InputError for an instance with explicit travel matrices."""
    if instance.start_travel is not None or instance.order_travel is not None:
        raise InputError(f"{instance.name}: the CSV form has no travel matrices; write JSON")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerow(["name", instance.name])
    for key in ("speed", "alpha", "beta"):
        writer.writerow([key, _plain(getattr(instance, key))])
    for (x, y), h in zip(instance.orders.tolist(), instance.hours.tolist()):
        writer.writerow(["order", _plain(x), _plain(y), _plain(h), "", ""])
    for (x, y), c, a in zip(instance.operators.tolist(), instance.capacity.tolist(),
                            instance.active.tolist()):
        writer.writerow(["operator", _plain(x), _plain(y), "", _plain(c), "true" if a else "false"])
    return out.getvalue()


def write_csv(instance: CrewInstance, path) -> None:
    """Write the instance CSV atomically."""
    write_atomic(Path(path), csv_text(instance))


# ---- instances: dispatch -----------------------------------------------------------------------
def read_instance(path, check_feasible: bool = True) -> CrewInstance:
    """Read an instance file: ``.json`` as JSON, ``.csv`` as CSV, any other suffix by content
    (``{`` first: JSON; a ``kind,`` header: CSV)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return read_json_instance(path, check_feasible)
    if suffix == ".csv":
        return read_csv_instance(path, check_feasible)
    text = read_text(path, _EXPECTED)
    first = next((line.strip() for line in lines(text) if line.strip()), "")
    if first.startswith("{"):
        data = parse_json_strict(text, path, "a crew instance JSON file")
        return instance_from_dict(data, path=path, default_name=path.stem,
                                  check_feasible=check_feasible)
    if first.lower().startswith("kind,"):
        return parse_csv(text, path, check_feasible)
    raise InputError(f"cannot tell the format; expected {_EXPECTED}", path=path)


def write_instance(instance: CrewInstance, path) -> None:
    """Write the instance atomically: CSV for a ``.csv`` path, JSON otherwise."""
    if Path(path).suffix.lower() == ".csv":
        write_csv(instance, path)
    else:
        write_json(instance, path)


def looks_like_crew(path) -> bool:
    """Is ``path`` a crew instance file: a JSON object with top-level ``orders`` and
    ``operators``, or a CSV whose header starts with ``kind,``? Never raises (the registry asks
    it of any file to recognise the problem)."""
    try:
        path = Path(path)
        if not path.is_file():
            return False
        if path.suffix.lower() == ".csv":
            head = read_bytes(path, _EXPECTED)[:4096].decode("utf-8-sig", errors="replace")
            first = next((line.strip() for line in lines(head)
                          if line.strip() and not line.lstrip().startswith("#")), "")
            return first.lower().startswith("kind,")
        if path.suffix.lower() != ".json":
            return False
        data = read_json(path, "a crew instance JSON file")
        return isinstance(data, dict) and "orders" in data and "operators" in data
    except Exception:  # noqa: BLE001 -- a guess about a file must never stop the caller
        return False


# ---- solutions ---------------------------------------------------------------------------------
def write_solution(schedule: CrewSchedule, path, **extra) -> None:
    """Write a solution JSON atomically: ``extra`` keys first, then ``schedule.to_dict()``, one
    route per line."""
    data = {**extra, **schedule.to_dict()}
    routes = data.pop("routes")
    times = data.pop("times", None)
    head = json.dumps(data)[:-1]
    body = ",\n  ".join(json.dumps(route) for route in routes)
    tail = "" if times is None else f', "times": {json.dumps(times)}'
    write_atomic(Path(path), f'{head}, "routes": [\n  {body}\n]{tail}}}\n')


def routes_from_dict(data, instance: CrewInstance, path=None) -> list[list[int]]:
    """The ``routes`` of a solution's JSON object: one list of order indices in 0..n-1 per
    operator. Duplicate or missing orders and capacity are left to the validator."""
    def fail(message):
        return InputError(message, path=path)

    if not isinstance(data, dict):
        raise fail(f"expected a JSON object with routes, found {type(data).__name__}")
    if "routes" not in data:
        raise fail("missing key 'routes'; expected a solution with one list of order indices "
                   "per operator")
    routes = data["routes"]
    m, n = instance.n_operators, instance.n_orders
    if not isinstance(routes, list):
        raise fail(f"routes: expected a list of {m} routes (lists of order indices), found "
                   f"{shown(routes)}")
    if len(routes) != m:
        raise fail(f"routes: expected {m} routes (one per operator of {instance.name}), found "
                   f"{len(routes)}")
    out = []
    for k, route in enumerate(routes):
        if not isinstance(route, list):
            raise fail(f"routes[{k}]: expected a list of order indices, found {shown(route)}")
        for p, order in enumerate(route):
            if isinstance(order, bool) or not isinstance(order, int):
                raise fail(f"routes[{k}][{p}]: expected an order index (an integer), found "
                           f"{shown(order)}")
            if not 0 <= order < n:
                raise fail(f"routes[{k}][{p}]: expected an order index in 0..{n - 1}, found "
                           f"{shown(order)}")
        out.append(list(route))
    return out


def claimed_from_dict(data: dict, path=None) -> dict:
    """The values a solution file claims (objective, makespan, activated; those present), each
    checked to be a number."""
    claimed = {}
    for key in CLAIMED_KEYS:
        if key in data and data[key] is not None:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                    isinstance(value, float) and not math.isfinite(value)):
                raise InputError(f"{key}: expected a number, found {shown(value)}", path=path)
            claimed[key] = value
    return claimed


def read_solution(path, instance: CrewInstance) -> CrewSchedule:
    """Read a solution JSON for ``instance`` (its routes; see :func:`routes_from_dict`)."""
    path = Path(path)
    data = parse_json_strict(read_text(path, "a crew solution JSON file"), path,
                              "a crew solution JSON file")
    return CrewSchedule(instance, routes_from_dict(data, instance, path))
