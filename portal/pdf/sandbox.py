"""The sandbox for user-editable HTML templates (Jinja2 syntax) that become PDFs, without Flask.

    sandbox = TemplateSandbox({"chinese_date": chinese_date})   # helpers: template globals and filters
    html = sandbox.render(template_source, values)

Autoescaping is on, undefined placeholders are errors, Python internals (names starting with ``_``) are
out of reach, include/import/extends are refused before rendering, ``*`` and ``**`` are bounded and the
output is at most :data:`MAX_HTML_CHARS`. Every refusal raises a :class:`TemplateError` (or a subclass)
carrying a message in Chinese and in English, fit to show to the program admin in the template editor.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

#: Largest HTML a template may produce.
MAX_HTML_CHARS = 1_000_000


# -- Errors --------------------------------------------------------------------------------------


class TemplateError(Exception):
    """A template cannot be rendered. ``message_zh`` / ``message_en`` are for the admin."""

    def __init__(self, message_zh: str, message_en: str, *, lineno: int | None = None):
        self.message_zh = message_zh
        self.message_en = message_en
        self.lineno = lineno
        super().__init__(f"{message_en} / {message_zh}")

    def message(self, locale: str = "zh") -> str:
        return self.message_zh if str(locale).lower().startswith("zh") else self.message_en


class TemplateSecurityError(TemplateError):
    """The template tried something the sandbox forbids (Python internals, files, network)."""


class UndefinedPlaceholderError(TemplateError):
    """The template uses a placeholder that the context does not define."""

    def __init__(self, placeholder: str, *, lineno: int | None = None):
        self.placeholder = placeholder
        where_zh = f"（第 {lineno} 行）" if lineno else ""
        where_en = f" (line {lineno})" if lineno else ""
        super().__init__(
            f"模板占位符 “{placeholder}” 未定义{where_zh}",
            f"Template placeholder '{placeholder}' is undefined{where_en}",
            lineno=lineno,
        )


# -- Template sandbox ----------------------------------------------------------------------------


class _RefusingLoader(jinja2.BaseLoader):
    def get_source(self, environment, template):
        raise TemplateSecurityError(
            f"模板不能引用其他模板或文件：{template}", f"Templates cannot load other templates or files: {template}"
        )


class _Sandbox(SandboxedEnvironment):
    """Jinja2 sandbox, also bounding ``*`` and ``**`` (``'x' * 10**9`` would exhaust memory)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            if isinstance(right, (int, float)) and abs(right) > 64:
                raise _PowerTooLarge("exponent too large")
        elif operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if (
                    isinstance(sequence, (str, list, tuple))
                    and isinstance(times, int)
                    and len(sequence) * times > MAX_HTML_CHARS
                ):
                    raise _RepetitionTooLarge("repetition too large")
        return super().call_binop(context, operator, left, right)


def _make_environment(helpers: Mapping[str, Callable]) -> _Sandbox:
    env = _Sandbox(
        autoescape=True, undefined=jinja2.StrictUndefined, loader=_RefusingLoader(), auto_reload=False, cache_size=0
    )
    for name, function in helpers.items():
        env.globals[name] = function
        env.filters[name] = function
    return env


def _security_error(what_zh: str, what_en: str, lineno: int | None) -> TemplateSecurityError:
    where_zh = f"（第 {lineno} 行）" if lineno else ""
    where_en = f" (line {lineno})" if lineno else ""
    return TemplateSecurityError(
        f"模板不允许{what_zh}{where_zh}", f"Templates may not {what_en}{where_en}", lineno=lineno
    )


class _RepetitionTooLarge(SecurityError):
    pass


class _PowerTooLarge(SecurityError):
    pass


def _sandbox_refusal(exception: SecurityError) -> TemplateSecurityError:
    lineno = _template_lineno(exception)
    if isinstance(exception, _RepetitionTooLarge):
        return _security_error("生成过长的重复字符串或列表", "repeat a string or list that many times", lineno)
    if isinstance(exception, _PowerTooLarge):
        return _security_error("计算过大的乘方", "raise numbers to such large powers", lineno)
    if match := re.search(r"attribute '(.+?)'", str(exception)):
        name = match[1]
        return _security_error(f"访问内部属性 “{name}”", f"access internal attribute '{name}'", lineno)
    return _security_error(f"执行此操作（{exception}）", f"do this ({exception})", lineno)


def _check_ast(ast: nodes.Template) -> None:
    """Refuse, before rendering, what the sandbox would refuse only when reached."""
    for node in ast.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        raise _security_error(
            "引用其他模板或文件（include/import/extends）",
            "include, import or extend other templates or files",
            node.lineno,
        )
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem):
            arg = node.arg
            name = arg.value if isinstance(arg, nodes.Const) and isinstance(arg.value, str) else ""
        else:
            name = node.name
        if name.startswith("_"):
            raise _security_error(f"访问内部属性 “{name}”", f"access internal attribute '{name}'", node.lineno)


def _template_lineno(exception: BaseException) -> int | None:
    lineno = None
    tb = exception.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return lineno


_UNDEFINED_RE = (re.compile(r"^'(?P<name>.+?)' is undefined"), re.compile(r"has no attribute '(?P<name>.+?)'"))


def _undefined_name(exception: jinja2.UndefinedError) -> str:
    text = str(exception.message or exception)
    for pattern in _UNDEFINED_RE:
        if match := pattern.search(text):
            return match["name"]
    return text


class LRU(OrderedDict):
    """A dict keeping the ``size`` entries used last."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def get_or_make(self, key, make):
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self[key] = make()
        if len(self) > self.size:
            self.popitem(last=False)
        return value


class TemplateSandbox:
    """Compiles (once per distinct source, the last 32 kept) and renders templates in the sandbox.

    ``helpers`` become template globals and filters (``{{ chinese_date(d) }}``, ``{{ d|chinese_date }}``).
    """

    def __init__(self, helpers: Mapping[str, Callable] | None = None):
        self.env = _make_environment(helpers or {})
        self._templates = LRU(32)

    def check(self, template_source: str) -> None:
        """Raise TemplateError if the template does not parse or breaks the sandbox rules."""
        self._compile(template_source)

    def _compile(self, template_source: str):
        key = hashlib.sha256(template_source.encode("utf-8", "surrogatepass")).digest()

        def make():
            try:
                ast = self.env.parse(template_source)
            except jinja2.TemplateSyntaxError as exception:
                raise TemplateError(
                    f"模板语法错误（第 {exception.lineno} 行）：{exception.message}",
                    f"Template syntax error (line {exception.lineno}): {exception.message}",
                    lineno=exception.lineno,
                ) from None
            _check_ast(ast)
            return self.env.from_string(ast)

        return self._templates.get_or_make(key, make)

    def render(self, template_source: str, values: Mapping) -> str:
        """The template rendered to HTML with ``values``."""
        template = self._compile(template_source)
        try:
            parts, size = [], 0
            for part in template.generate(dict(values)):
                size += len(part)
                if size > MAX_HTML_CHARS:
                    raise TemplateError("模板输出过大", "Template output is too large")
                parts.append(part)
            return "".join(parts)
        except SecurityError as exception:
            raise _sandbox_refusal(exception) from None
        except jinja2.UndefinedError as exception:
            raise UndefinedPlaceholderError(_undefined_name(exception), lineno=_template_lineno(exception)) from None
        except TemplateError:
            raise
        except jinja2.TemplateError as exception:
            lineno = _template_lineno(exception)
            raise TemplateError(f"模板错误：{exception}", f"Template error: {exception}", lineno=lineno) from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as exception:
            lineno = _template_lineno(exception)
            where_zh = f"（第 {lineno} 行）" if lineno else ""
            where_en = f" (line {lineno})" if lineno else ""
            raise TemplateError(
                f"模板计算出错{where_zh}：{exception}",
                f"Template evaluation failed{where_en}: {exception}",
                lineno=lineno,
            ) from None
