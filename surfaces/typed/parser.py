"""Text -> expression tree, by a hand-written tokenizer and recursive-descent parser.

The text is only ever read character by character: no Python evaluator, compiler or
third-party parser sees it. Anything outside this grammar is an :class:`ExpressionError`
naming the offending token and its 0-based character position::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := ("+" | "-")* power
    power   := atom (("**" | "^") unary)?         right-associative: 2^3^2 = 2^9
    atom    := number | "x" | "y" | "pi" | "e" | function "(" expr ")" | "(" expr ")"
    number  := 12 | 3.5 | .5 | 1e-3 | 2.5E+2       at most 1e6 in absolute value
    function:= sin cos tan exp log sqrt tanh sinh cosh abs arctan atan sigmoid

As in Python, ``-x**2`` is ``-(x**2)``; ``^`` is a power, not xor. Limits: 300 characters,
30 levels of parentheses/calls, constant exponents within ±16, and nested powers whose
constant exponents multiply to at most 16 in absolute value (``(x**4)**4`` is fine,
``(x**4)**8`` is not). Implicit multiplication (``2x``) is rejected with a hint.
"""
from __future__ import annotations

import re
from typing import NamedTuple, NoReturn

from .expression import Binary, Call, Expr, ExpressionError, Neg, Num, Var, children, fold

MAX_LENGTH, MAX_DEPTH, MAX_NUMBER, MAX_EXPONENT = 300, 30, 1e6, 16.0
VARIABLES = ("x", "y")
CONSTANTS = {"pi": 3.141592653589793, "e": 2.718281828459045}
ALIASES = {"atan": "arctan"}
USER_FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "abs", "arctan", "atan",
                  "sigmoid")  # FUNCTIONS' keys but the internal "sign", and the alias atan
ALLOWED = ", ".join(VARIABLES + tuple(CONSTANTS) + USER_FUNCTIONS)
KEYWORDS = frozenset(
    "False None True and as assert async await break class continue def del elif else except finally for "
    "from global if import in is lambda nonlocal not or pass raise return try while with yield".split())

_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"  # ASCII digits only, unlike \d
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_OPERATORS = ("**", "+", "-", "*", "/", "^", "(", ")", ",")  # "," only to explain that it is not allowed
_FORBIDDEN = {  # multi-character first, so "//" is not read as "/"
    "//": "operator '//' is not allowed (use '/')", "==": "comparison '==' is not allowed",
    "!=": "comparison '!=' is not allowed", "<=": "comparison '<=' is not allowed",
    ">=": "comparison '>=' is not allowed", "<<": "operator '<<' is not allowed",
    ">>": "operator '>>' is not allowed", "<": "comparison '<' is not allowed",
    ">": "comparison '>' is not allowed", "=": "assignment ('=') is not allowed",
    ".": "attribute access ('.') is not allowed", ";": "';' is not allowed (write a single expression)",
    "'": "strings/quotes are not allowed", '"': "strings/quotes are not allowed",
    "[": "brackets '[' are not allowed (use parentheses)", "]": "brackets ']' are not allowed",
    "{": "braces '{' are not allowed (use parentheses)", "}": "braces '}' are not allowed",
    ":": "':' is not allowed", "\\": "backslash ('\\') is not allowed", "#": "comments ('#') are not allowed",
    "@": "operator '@' is not allowed", "%": "operator '%' is not allowed", "&": "operator '&' is not allowed",
    "|": "operator '|' is not allowed", "~": "operator '~' is not allowed",
}


class Token(NamedTuple):
    kind: str  # "num", "name", "op" or "end"
    text: str
    pos: int
    value: float = 0.0

    @property
    def end(self) -> int:
        return self.pos + len(self.text)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into numbers, whitelisted names and operators; reject everything else."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is too long: {len(text)} characters (at most {MAX_LENGTH})",
                              MAX_LENGTH)
    if not text.strip():
        raise ExpressionError("empty expression: type a function of x and y, e.g. x**2 + y**2", 0)
    tokens, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
        elif number := re.match(_NUMBER, text[i:]):
            tokens.append(_number(number.group(), i, text))
            i += number.end()
        elif name := re.match(_NAME, text[i:]):
            tokens.append(_name(name.group(), i))
            i += name.end()
        elif bad := next((bad for bad in _FORBIDDEN if text.startswith(bad, i)), None):
            raise ExpressionError(f"{_FORBIDDEN[bad]} at position {i}", i)
        elif op := next((op for op in _OPERATORS if text.startswith(op, i)), None):
            tokens.append(Token("op", op, i))
            i += len(op)
        else:
            if not ch.isascii() or not ch.isprintable():
                raise ExpressionError(f"character {ch!r} (U+{ord(ch):04X}) at position {i} is not allowed: "
                                      "use plain ASCII letters, digits, spaces and + - * / ^ ( )", i)
            raise ExpressionError(f"character {ch!r} at position {i} is not allowed", i)
    return tokens + [Token("end", "", len(text))]


def _number(text: str, pos: int, source: str) -> Token:
    after = source[pos + len(text):]
    if text.endswith(".") and re.match(r"[A-Za-z_]", after):  # 1.real
        raise ExpressionError(f"attribute access ('.') is not allowed at position {pos + len(text) - 1}",
                              pos + len(text) - 1)
    if re.match(r"\.[0-9]", after):  # 1.2.3
        rest = re.match(r"[0-9.]*", after).group()
        raise ExpressionError(f"malformed number '{text + rest}' at position {pos}", pos)
    value = float(text)  # digits, '.', 'e' and a sign only: float() parses, never evaluates
    if not abs(value) <= MAX_NUMBER:
        raise ExpressionError(f"number '{text}' at position {pos} is too large (at most 1e6 in absolute value)",
                              pos)
    return Token("num", text, pos, value)


def _name(name: str, pos: int) -> Token:
    if name.startswith("_") or "__" in name:
        raise ExpressionError(f"'{name}' is not allowed at position {pos}", pos)
    if name in KEYWORDS:
        raise ExpressionError(f"keyword '{name}' is not allowed at position {pos}", pos)
    if name not in VARIABLES and name not in CONSTANTS and name not in USER_FUNCTIONS:
        raise ExpressionError(f"unknown name '{name}' at position {pos} (allowed: {ALLOWED})", pos)
    return Token("name", name, pos)


def parse(text: str) -> Expr:
    """The tree of ``text`` exactly as typed (no simplification), or an ExpressionError."""
    return _Parser(text, tokenize(text)).parse()


class _Parser:
    def __init__(self, text: str, tokens: list[Token]):
        self.text, self.tokens, self.i, self.depth = text, tokens, 0, 0
        self.facts: dict[int, _Facts] = {}  # id(node) -> its facts, for every node built so far

    def node(self, node: Expr) -> Expr:
        self.facts[id(node)] = _facts(node, [self.facts[id(child)] for child in children(node)])
        return node

    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        self.i += 1
        return self.tokens[self.i - 1]

    def at(self, *texts: str) -> bool:
        return self.token.kind == "op" and self.token.text in texts

    def parse(self) -> Expr:
        tree = self.expr()
        if self.token.kind != "end":
            self.fail_after(self.tokens[self.i - 1], "end of the expression")
        return tree

    def expr(self) -> Expr:
        tree = self.term()
        while self.at("+", "-"):
            tree = self.node(Binary(self.take().text, tree, self.term()))
        return tree

    def term(self) -> Expr:
        tree = self.unary()
        while self.at("*", "/"):
            tree = self.node(Binary(self.take().text, tree, self.unary()))
        return tree

    def unary(self) -> Expr:
        negative = False
        while self.at("+", "-"):  # a loop, not recursion: "- - - x" costs no stack
            negative ^= self.take().text == "-"
        tree = self.power()
        return self.node(Neg(tree)) if negative else tree

    def power(self) -> Expr:
        base = self.atom()
        if not self.at("**", "^"):
            return base
        op = self.take()
        start = self.token.pos
        exponent = self.unary()
        tree = self.node(Binary("^", base, exponent))
        value, nesting = self.facts[id(exponent)].constant, self.facts[id(tree)].nesting
        if value is not None and not abs(value) <= MAX_EXPONENT:
            text = self.text[start:self.tokens[self.i - 1].end]
            raise ExpressionError(f"exponent '{text}' (= {value:g}) of '{op.text}' at position {op.pos} is too "
                                  f"large (at most {MAX_EXPONENT:g} in absolute value)", op.pos)
        if nesting > MAX_EXPONENT:
            raise ExpressionError(f"nested powers at position {op.pos} raise to {nesting:g} in total "
                                  f"(at most {MAX_EXPONENT:g})", op.pos)
        return tree

    def atom(self) -> Expr:
        token = self.take()
        if token.kind == "num":
            return self.node(Num(token.value))
        if token.kind == "name":
            return self.name(token)
        if token.text == "(":
            if self.at(")"):
                raise ExpressionError(f"empty parentheses '()' at position {token.pos}", token.pos)
            return self.group(token, self.expr)
        if token.kind == "end":
            raise ExpressionError(f"expression ends too early after '{self.tokens[self.i - 2].text}' "
                                  f"at position {token.pos}", token.pos)
        if token.text == ",":
            raise ExpressionError(f"',' at position {token.pos} is not allowed (functions take one argument)",
                                  token.pos)
        raise ExpressionError(f"unexpected '{token.text}' at position {token.pos}: expected a number, "
                              "a name or '('", token.pos)

    def name(self, token: Token) -> Expr:
        name, called = token.text, self.at("(")
        if name in USER_FUNCTIONS:
            if not called:
                raise ExpressionError(f"function '{name}' at position {token.pos} needs parentheses, "
                                      f"e.g. {name}(x)", token.pos)
            argument = self.group(self.take(), lambda: self.argument(token))
            return self.node(Call(ALIASES.get(name, name), argument))
        if called:
            raise ExpressionError(f"'{name}' at position {token.pos} is not a function (write {name}*(...) to "
                                  "multiply)", token.pos)
        return self.node(Num(CONSTANTS[name], name) if name in CONSTANTS else Var(name))

    def argument(self, function: Token) -> Expr:
        if self.at(")"):
            raise ExpressionError(f"function '{function.text}' takes one argument, none given at position "
                                  f"{self.token.pos}", self.token.pos)
        tree = self.expr()
        if self.at(","):
            raise ExpressionError(f"function '{function.text}' takes one argument (found ',' at position "
                                  f"{self.token.pos})", self.token.pos)
        return tree

    def group(self, opening: Token, inner) -> Expr:
        """``inner()`` between ``opening`` and its ``)``, at most MAX_DEPTH levels deep."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"nesting deeper than {MAX_DEPTH} levels of parentheses/calls at position "
                                  f"{opening.pos}", opening.pos)
        tree = inner()
        if not self.at(")"):
            self.fail_after(self.tokens[self.i - 1], f"')' to close '(' at position {opening.pos}")
        self.take()
        self.depth -= 1
        return tree

    def fail_after(self, previous: Token, expected: str) -> NoReturn:
        token = self.token
        if token.kind in ("num", "name") or token.text == "(":
            both = previous.kind in ("num", "name") and token.kind in ("num", "name")
            hint = f"write {previous.text}*{token.text}" if both else "insert '*'"
            raise ExpressionError(f"missing operator between '{previous.text}' and '{token.text}' at position "
                                  f"{token.pos}: implicit multiplication is not supported, {hint}", token.pos)
        if token.kind == "end":
            raise ExpressionError(f"expected {expected}, but the expression ends at position {token.pos}",
                                  token.pos)
        if token.text == ")":
            raise ExpressionError(f"unmatched ')' at position {token.pos}", token.pos)
        if token.text == ",":
            raise ExpressionError(f"',' at position {token.pos} is not allowed (functions take one argument)",
                                  token.pos)
        raise ExpressionError(f"unexpected '{token.text}' at position {token.pos}: expected {expected}",
                              token.pos)


class _Facts(NamedTuple):
    """What the power limits need to know about a subtree, computed once as the parser builds it."""

    constant: float | None  # its value if it has no variables
    nesting: float  # product of the constant exponents (each at least 1) along its deepest chain of powers


def _facts(node: Expr, kids: list[_Facts]) -> _Facts:
    nesting = max((kid.nesting for kid in kids), default=1.0)
    if isinstance(node, (Num, Var)):
        return _Facts(node.value if isinstance(node, Num) else None, nesting)
    if any(kid.constant is None for kid in kids):
        constant = None
    elif isinstance(node, Neg):
        constant = -kids[0].constant
    else:
        constant = fold(node.op if isinstance(node, Binary) else node.fn, *(kid.constant for kid in kids))
    if isinstance(node, Binary) and node.op == "^" and kids[1].constant is not None:
        nesting = kids[0].nesting * max(1.0, abs(kids[1].constant))
    return _Facts(constant, nesting)
