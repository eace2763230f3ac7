//! The dynamic rule language: parsing, checking and compiling a rules text into a [`RuleSet`] evaluated on the hot
//! path (see `docs/rules.md` for the language).
//!
//! A rules text is a sequence of lines, one statement each:
//!
//! ```text
//! # a comment
//! list risky_mcc = [7995, 5967]
//! allow card "card-123", "card-456"
//! block country "KP"
//! rule HIGH_ONLINE review: amount > 5000 and channel == "ONLINE"
//! rule CASINO decline: mcc in risky_mcc and (is_night == 1 or amount >= 1000)
//! rule WATCH flag: card_tx_count_1d > 20 and country not in ["FR", "DE"]
//! ```
//!
//! Each rule's expression compiles to a short postfix program over a fixed stack of f64 (no allocation when it
//! runs). Every error names the rule (or statement) and the line and column where it was found.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::features::{CHANNEL, N_FEATURES, NAMES, index_of};
use crate::lists::{Kind as ListKind, Lists, hash_key, pack_country};
use crate::record::{CHANNEL_ATM, CHANNEL_ONLINE, CHANNEL_POS, Record};

/// The largest rules text accepted, bytes.
pub const MAX_TEXT: usize = 4 << 20;
/// The most rules a set may hold.
pub const MAX_RULES: usize = 250;
/// The deepest evaluation stack a rule may need (and so the deepest nesting it may have).
pub const MAX_STACK: usize = 32;
/// The longest program (operations) a rule may compile to.
pub const MAX_OPS: usize = 256;
/// The most values all lists of a set may hold together.
pub const MAX_LIST_VALUES: usize = 1_000_000;

/// What a rule does when it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// Counted only: the decision is not changed (a rule on trial).
    Flag,
    /// The decision is at least REVIEW.
    Review,
    /// The decision is DECLINE.
    Decline,
}

impl Action {
    /// The action's keyword.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Flag => "flag",
            Self::Review => "review",
            Self::Decline => "decline",
        }
    }
}

/// A field of the record a rule reads that is not a feature, or a feature with named values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    /// The card key (only `==`, `!=`, `in` with strings).
    Card,
    /// The terminal key (only `==`, `!=`, `in` with strings).
    Terminal,
    /// The packed country, NaN when unknown (compared with two-letter strings).
    Country,
}

/// One step of a rule program.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Const(f64),
    Feature(u8),
    Country,
    Add,
    Sub,
    Mul,
    Div,
    Neg,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
    Not,
    /// Membership of a value in set `set`: the feature or field is read directly (not from the stack).
    InFeature(u8, u32),
    InCountry(u32),
    InCard(u32),
    InTerminal(u32),
}

/// One compiled rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The rule's name.
    pub name: String,
    /// What it does when it fires.
    pub action: Action,
    /// The rule's source expression (as written).
    pub source: String,
    ops: Vec<Op>,
}

/// A compiled rules text: the rules in order, their membership sets, and the allow and block lists.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    /// The rules, in text order.
    pub rules: Vec<Rule>,
    sets: Vec<FxHashSet<u64>>,
    /// Allow and block lists.
    pub lists: Lists,
}

/// A rules text error: where, in which statement, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// The rule's name, or the statement's keyword when it is not a rule.
    pub rule: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rules: {} at line {}, column {}: {}",
            self.rule, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for RuleError {}

/// The outcome of evaluating a set on one transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The strongest action among the rules that fired (`None`: no review or decline rule fired).
    pub action: Option<Action>,
    /// Index of the first rule with that action.
    pub rule: u8,
    /// A block list matched.
    pub blocked: bool,
    /// An allow list matched.
    pub allowed: bool,
}

impl RuleSet {
    /// Whether the set holds no rules and no list entries (the scorer then skips it).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.lists.is_empty()
    }

    /// Parses, checks and compiles a rules text.
    ///
    /// # Errors
    /// The first problem found, with the statement and its line and column.
    pub fn compile(text: &str) -> Result<Self, RuleError> {
        if text.len() > MAX_TEXT {
            return Err(RuleError {
                line: 1,
                column: 1,
                rule: "rules".into(),
                message: format!("the text is {} bytes, more than {MAX_TEXT}", text.len()),
            });
        }
        let mut c = Compiler::default();
        for (n, line) in text.lines().enumerate() {
            c.statement(n + 1, line)?;
        }
        Ok(c.set)
    }

    /// Evaluates every rule and the lists on one transaction: `fired[i]` is set for each rule that fired.
    #[must_use]
    pub fn evaluate(&self, row: &[f32; N_FEATURES], rec: &Record, fired: &mut [bool]) -> Verdict {
        let mut v = Verdict {
            blocked: self.lists.blocks(rec),
            allowed: self.lists.allows(rec),
            ..Verdict::default()
        };
        for (i, (rule, hit)) in self.rules.iter().zip(fired.iter_mut()).enumerate() {
            *hit = self.run(&rule.ops, row, rec);
            if *hit && rule.action > Action::Flag && v.action.is_none_or(|a| rule.action > a) {
                v.action = Some(rule.action);
                v.rule = i as u8;
            }
        }
        v
    }

    #[allow(
        clippy::float_cmp,
        reason = "the language's == and != are exact on the feature values, as documented"
    )]
    fn run(&self, ops: &[Op], row: &[f32; N_FEATURES], rec: &Record) -> bool {
        let mut stack = [0f64; MAX_STACK];
        let mut sp = 0usize;
        let truth = |b: bool| f64::from(u8::from(b));
        // A comparison with a missing value (NaN) is false, `!=` included.
        let cmp =
            |a: f64, b: f64, f: fn(f64, f64) -> bool| truth(!a.is_nan() && !b.is_nan() && f(a, b));
        for op in ops {
            let value = match *op {
                Op::Const(x) => x,
                Op::Feature(i) => f64::from(row[usize::from(i)]),
                Op::Country => country_value(rec.country),
                Op::InFeature(i, s) => {
                    let x = row[usize::from(i)];
                    truth(!x.is_nan() && self.sets[s as usize].contains(&f64::from(x).to_bits()))
                }
                Op::InCountry(s) => truth(
                    rec.country != 0 && self.sets[s as usize].contains(&u64::from(rec.country)),
                ),
                Op::InCard(s) => truth(self.sets[s as usize].contains(&rec.card)),
                Op::InTerminal(s) => truth(self.sets[s as usize].contains(&rec.term)),
                Op::Neg => {
                    stack[sp - 1] = -stack[sp - 1];
                    continue;
                }
                Op::Not => {
                    stack[sp - 1] = truth(stack[sp - 1] == 0.0);
                    continue;
                }
                binary => {
                    sp -= 1;
                    let (a, b) = (stack[sp - 1], stack[sp]);
                    stack[sp - 1] = match binary {
                        Op::Add => a + b,
                        Op::Sub => a - b,
                        Op::Mul => a * b,
                        Op::Div => a / b,
                        Op::Lt => cmp(a, b, |a, b| a < b),
                        Op::Le => cmp(a, b, |a, b| a <= b),
                        Op::Gt => cmp(a, b, |a, b| a > b),
                        Op::Ge => cmp(a, b, |a, b| a >= b),
                        Op::Eq => cmp(a, b, |a, b| a == b),
                        Op::Ne => cmp(a, b, |a, b| a != b),
                        Op::And => truth(a != 0.0 && b != 0.0),
                        _ => truth(a != 0.0 || b != 0.0),
                    };
                    continue;
                }
            };
            stack[sp] = value;
            sp += 1;
        }
        sp == 1 && stack[0] != 0.0
    }
}

/// The value a rule sees for a packed country: NaN when unknown.
fn country_value(packed: u16) -> f64 {
    if packed == 0 {
        f64::NAN
    } else {
        f64::from(packed)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Lexer

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Num(f64),
    Str(String),
    Sym(&'static str),
    End,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    col: usize,
}

const SYMBOLS: [&str; 17] = [
    "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ",", ":", "=",
];

fn lex(line: &str, n: usize, stmt: &str) -> Result<Vec<Token>, RuleError> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let fail = |col: usize, message: String| RuleError {
        line: n,
        column: col + 1,
        rule: stmt.to_string(),
        message,
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '#' {
            break;
        }
        let start = i;
        if c.is_ascii_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Ident(chars[start..i].iter().collect()),
                col: start,
            });
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric()
                    || chars[i] == '.'
                    || ((chars[i] == '+' || chars[i] == '-') && matches!(chars[i - 1], 'e' | 'E')))
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let value: f64 = text
                .parse()
                .map_err(|_| fail(start, format!("'{text}' is not a number")))?;
            out.push(Token {
                tok: Tok::Num(value),
                col: start,
            });
        } else if c == '"' {
            i += 1;
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None => return Err(fail(start, "unterminated string".into())),
                    Some('"') => break,
                    Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\')) => {
                        s.push(chars[i + 1]);
                        i += 2;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            i += 1;
            out.push(Token {
                tok: Tok::Str(s),
                col: start,
            });
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let Some(sym) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) else {
                return Err(fail(start, format!("unexpected character '{c}'")));
            };
            i += sym.len();
            out.push(Token {
                tok: Tok::Sym(sym),
                col: start,
            });
        }
    }
    out.push(Token {
        tok: Tok::End,
        col: chars.len(),
    });
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------------------
// Parser and compiler

/// The type of a compiled expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Num,
    Bool,
}

/// A feature or field whose values are written as strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Named {
    Channel,
    Field(Field),
}

/// A literal list value.
#[derive(Clone, Debug, PartialEq)]
enum Lit {
    Num(f64),
    Str(String),
}

#[derive(Default)]
struct Compiler {
    set: RuleSet,
    lists: FxHashMap<String, Vec<Lit>>,
    names: FxHashSet<String>,
    list_values: usize,
}

struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    line: usize,
    stmt: String,
    ops: Vec<Op>,
    depth: usize,
    max_depth: usize,
}

impl Compiler {
    fn statement(&mut self, n: usize, line: &str) -> Result<(), RuleError> {
        let keyword = line.split_whitespace().next().unwrap_or("");
        let toks = lex(line, n, keyword)?;
        let Some(Token {
            tok: Tok::Ident(kw),
            ..
        }) = toks.first()
        else {
            return match toks.first().map(|t| &t.tok) {
                Some(Tok::End) | None => Ok(()),
                _ => Err(RuleError {
                    line: n,
                    column: toks[0].col + 1,
                    rule: keyword.into(),
                    message: "a statement starts with rule, list, allow or block".into(),
                }),
            };
        };
        let mut p = Parser {
            toks: &toks,
            pos: 1,
            line: n,
            stmt: kw.clone(),
            ops: Vec::new(),
            depth: 0,
            max_depth: 0,
        };
        match kw.as_str() {
            "rule" => self.rule(&mut p, line),
            "list" => self.list(&mut p),
            "allow" | "block" => self.allow_block(&mut p, kw == "allow"),
            other => Err(p.error_at(
                0,
                format!("unknown statement '{other}' (expected rule, list, allow or block)"),
            )),
        }
    }

    fn new_name(&mut self, p: &Parser<'_>, at: usize, name: &str) -> Result<(), RuleError> {
        if !self.names.insert(name.to_string()) {
            return Err(p.error_at(at, format!("the name '{name}' is already defined")));
        }
        Ok(())
    }

    fn rule(&mut self, p: &mut Parser<'_>, line: &str) -> Result<(), RuleError> {
        let at = p.pos;
        let name = p.ident("a rule name")?;
        p.stmt.clone_from(&name);
        if self.set.rules.len() == MAX_RULES {
            return Err(p.error_at(at, format!("more than {MAX_RULES} rules")));
        }
        self.new_name(p, at, &name)?;
        let action = match p.ident("an action (flag, review or decline)")?.as_str() {
            "flag" => Action::Flag,
            "review" => Action::Review,
            "decline" => Action::Decline,
            other => {
                return Err(p.error_at(
                    p.pos - 1,
                    format!("unknown action '{other}' (expected flag, review or decline)"),
                ));
            }
        };
        p.expect(":")?;
        let start_col = p.toks[p.pos].col;
        let ty = p.expr(self)?;
        if p.toks[p.pos].tok != Tok::End {
            return Err(p.error_at(p.pos, "unexpected text after the expression".into()));
        }
        if ty != Ty::Bool {
            return Err(p.error_at_col(
                start_col,
                "the expression must be a condition (true or false), not a value".into(),
            ));
        }
        // Every push is counted, so this bounds the evaluation stack whatever form the expression took.
        if p.max_depth > MAX_STACK {
            return Err(p.error_at_col(
                start_col,
                format!("the expression nests deeper than {MAX_STACK} values"),
            ));
        }
        if p.ops.len() > MAX_OPS {
            return Err(p.error_at_col(
                start_col,
                format!("the expression is longer than {MAX_OPS} operations"),
            ));
        }
        let source: String = line.chars().skip(start_col).collect();
        self.set.rules.push(Rule {
            name,
            action,
            source: source.split('#').next().unwrap_or("").trim().to_string(),
            ops: std::mem::take(&mut p.ops),
        });
        Ok(())
    }

    fn list(&mut self, p: &mut Parser<'_>) -> Result<(), RuleError> {
        let at = p.pos;
        let name = p.ident("a list name")?;
        p.stmt = format!("list {name}");
        if index_of(&name).is_some() || field_of(&name).is_some() {
            return Err(p.error_at(at, format!("'{name}' is a feature or field name")));
        }
        self.new_name(p, at, &name)?;
        p.expect("=")?;
        let values = p.literal_list()?;
        self.count_values(p, values.len())?;
        self.lists.insert(name, values);
        Ok(())
    }

    fn count_values(&mut self, p: &Parser<'_>, n: usize) -> Result<(), RuleError> {
        self.list_values += n;
        if self.list_values > MAX_LIST_VALUES {
            return Err(p.error_at(
                p.pos.saturating_sub(1),
                format!("the lists hold more than {MAX_LIST_VALUES} values"),
            ));
        }
        Ok(())
    }

    fn allow_block(&mut self, p: &mut Parser<'_>, allow: bool) -> Result<(), RuleError> {
        let at = p.pos;
        let kind = match p
            .ident("a list kind (card, terminal, mcc or country)")?
            .as_str()
        {
            "card" => ListKind::Card,
            "terminal" => ListKind::Terminal,
            "mcc" => ListKind::Mcc,
            "country" => ListKind::Country,
            other => {
                return Err(p.error_at(
                    at,
                    format!(
                        "unknown list kind '{other}' (expected card, terminal, mcc or country)"
                    ),
                ));
            }
        };
        loop {
            let vat = p.pos;
            let key = match (&p.toks[vat].tok, kind) {
                (Tok::Str(s), ListKind::Card | ListKind::Terminal) => hash_key(s),
                (Tok::Str(s), ListKind::Country) => {
                    u64::from(country_code(s).ok_or_else(|| {
                        p.error_at(vat, format!("'{s}' is not a two-letter country code"))
                    })?)
                }
                (Tok::Num(x), ListKind::Mcc) => u64::from(mcc_code(*x).ok_or_else(|| {
                    p.error_at(
                        vat,
                        format!("{x} is not a merchant category code (1..65535)"),
                    )
                })?),
                (Tok::Ident(name), _) if self.lists.contains_key(name) => {
                    let values = self.lists[name].clone();
                    for v in &values {
                        let key = list_key(kind, v).ok_or_else(|| {
                            p.error_at(
                                vat,
                                format!("list '{name}' holds {v:?}, not a {} value", kind.name()),
                            )
                        })?;
                        self.set.lists.insert(allow, kind, key);
                    }
                    p.pos += 1;
                    if !p.comma() {
                        break;
                    }
                    continue;
                }
                _ => return Err(p.error_at(vat, format!("expected a {} value", kind.name()))),
            };
            self.count_values(p, 1)?;
            self.set.lists.insert(allow, kind, key);
            p.pos += 1;
            if !p.comma() {
                break;
            }
        }
        if p.toks[p.pos].tok != Tok::End {
            return Err(p.error_at(p.pos, "expected ',' or the end of the line".into()));
        }
        Ok(())
    }
}

fn list_key(kind: ListKind, v: &Lit) -> Option<u64> {
    match (kind, v) {
        (ListKind::Card | ListKind::Terminal, Lit::Str(s)) => Some(hash_key(s)),
        (ListKind::Country, Lit::Str(s)) => country_code(s).map(u64::from),
        (ListKind::Mcc, Lit::Num(x)) => mcc_code(*x).map(u64::from),
        _ => None,
    }
}

fn country_code(s: &str) -> Option<u16> {
    let b = s.as_bytes();
    (b.len() == 2 && b.iter().all(u8::is_ascii_uppercase)).then(|| pack_country(s))
}

#[allow(
    clippy::cast_sign_loss,
    reason = "x is checked to be a whole number in 1..=65535"
)]
fn mcc_code(x: f64) -> Option<u16> {
    (x.fract() == 0.0 && (1.0..=65535.0).contains(&x)).then_some(x as u16)
}

fn channel_code(s: &str) -> Option<u8> {
    match s {
        "POS" => Some(CHANNEL_POS),
        "ONLINE" => Some(CHANNEL_ONLINE),
        "ATM" => Some(CHANNEL_ATM),
        _ => None,
    }
}

fn field_of(name: &str) -> Option<Field> {
    match name {
        "card" => Some(Field::Card),
        "terminal" => Some(Field::Terminal),
        "country" => Some(Field::Country),
        _ => None,
    }
}

/// What `ident` names as an operand.
enum Operand {
    Feature(u8),
    Field(Field),
}

impl Parser<'_> {
    fn error_at(&self, tok: usize, message: String) -> RuleError {
        self.error_at_col(self.toks[tok.min(self.toks.len() - 1)].col, message)
    }

    fn error_at_col(&self, col: usize, message: String) -> RuleError {
        RuleError {
            line: self.line,
            column: col + 1,
            rule: self.stmt.clone(),
            message,
        }
    }

    fn ident(&mut self, what: &str) -> Result<String, RuleError> {
        if let Tok::Ident(s) = &self.toks[self.pos].tok {
            self.pos += 1;
            Ok(s.clone())
        } else {
            Err(self.error_at(self.pos, format!("expected {what}")))
        }
    }

    fn expect(&mut self, sym: &str) -> Result<(), RuleError> {
        if self.toks[self.pos].tok
            == Tok::Sym(SYMBOLS.iter().find(|s| **s == sym).copied().unwrap_or("?"))
        {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error_at(self.pos, format!("expected '{sym}'")))
        }
    }

    fn is_sym(&self, sym: &str) -> bool {
        matches!(self.toks[self.pos].tok, Tok::Sym(s) if s == sym)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(&self.toks[self.pos].tok, Tok::Ident(s) if s == word)
    }

    fn comma(&mut self) -> bool {
        let yes = self.is_sym(",");
        if yes {
            self.pos += 1;
        }
        yes
    }

    fn literal_list(&mut self) -> Result<Vec<Lit>, RuleError> {
        self.expect("[")?;
        let mut out = Vec::new();
        if self.is_sym("]") {
            self.pos += 1;
            return Ok(out);
        }
        loop {
            let negative = self.is_sym("-");
            if negative {
                self.pos += 1;
            }
            match &self.toks[self.pos].tok {
                Tok::Num(x) => out.push(Lit::Num(if negative { -x } else { *x })),
                Tok::Str(s) if !negative => out.push(Lit::Str(s.clone())),
                _ => return Err(self.error_at(self.pos, "expected a number or a string".into())),
            }
            self.pos += 1;
            if !self.comma() {
                break;
            }
        }
        self.expect("]")?;
        Ok(out)
    }

    fn push(&mut self, op: Op, delta: isize) {
        self.ops.push(op);
        self.depth = self.depth.saturating_add_signed(delta);
        self.max_depth = self.max_depth.max(self.depth);
    }

    fn check_depth(&self, at: usize) -> Result<(), RuleError> {
        if self.max_depth > MAX_STACK {
            return Err(self.error_at(
                at,
                format!("the expression nests deeper than {MAX_STACK} values"),
            ));
        }
        Ok(())
    }

    fn expr(&mut self, c: &mut Compiler) -> Result<Ty, RuleError> {
        self.logic(c, 0)
    }

    /// `or` (level 0) and `and` (level 1) chains of `not` terms.
    fn logic(&mut self, c: &mut Compiler, level: u8) -> Result<Ty, RuleError> {
        let word = if level == 0 { "or" } else { "and" };
        let at = self.pos;
        let mut ty = if level == 0 {
            self.logic(c, 1)?
        } else {
            self.negation(c)?
        };
        while self.is_word(word) {
            let op_at = self.pos;
            self.pos += 1;
            let rhs = if level == 0 {
                self.logic(c, 1)?
            } else {
                self.negation(c)?
            };
            if ty != Ty::Bool || rhs != Ty::Bool {
                let bad = if ty == Ty::Bool { op_at + 1 } else { at };
                return Err(self.error_at(bad, format!("'{word}' needs conditions on both sides")));
            }
            self.push(if level == 0 { Op::Or } else { Op::And }, -1);
            ty = Ty::Bool;
        }
        Ok(ty)
    }

    fn negation(&mut self, c: &mut Compiler) -> Result<Ty, RuleError> {
        if self.is_word("not") {
            self.pos += 1;
            let at = self.pos;
            if self.negation(c)? != Ty::Bool {
                return Err(self.error_at(at, "'not' needs a condition".into()));
            }
            self.push(Op::Not, 0);
            return Ok(Ty::Bool);
        }
        self.comparison(c)
    }

    fn comparison(&mut self, c: &mut Compiler) -> Result<Ty, RuleError> {
        let at = self.pos;
        // A named field (channel, country, card, terminal) compared by name or membership.
        if let Tok::Ident(name) = &self.toks[at].tok
            && let Some(named) = named_of(name)
        {
            let next = &self.toks[at + 1].tok;
            let is_cmp = matches!(next, Tok::Sym("==" | "!="))
                || matches!(next, Tok::Ident(w) if w == "in" || w == "not");
            if is_cmp {
                self.pos += 1;
                return self.named_comparison(c, named, at);
            }
        }
        let lhs = self.sum(c)?;
        let op = match self.toks[self.pos].tok {
            Tok::Sym("<") => Op::Lt,
            Tok::Sym("<=") => Op::Le,
            Tok::Sym(">") => Op::Gt,
            Tok::Sym(">=") => Op::Ge,
            Tok::Sym("==") => Op::Eq,
            Tok::Sym("!=") => Op::Ne,
            _ => {
                if self.is_word("in")
                    || self.is_word("not")
                        && matches!(&self.toks[self.pos + 1].tok, Tok::Ident(w) if w == "in")
                {
                    return self.numeric_membership(c, at);
                }
                return Ok(lhs);
            }
        };
        self.pos += 1;
        let rhs_at = self.pos;
        let rhs = self.sum(c)?;
        if lhs != Ty::Num {
            return Err(self.error_at(at, "a comparison needs a number on the left".into()));
        }
        if rhs != Ty::Num {
            return Err(self.error_at(rhs_at, "a comparison needs a number on the right".into()));
        }
        if matches!(
            self.toks[self.pos].tok,
            Tok::Sym("<" | "<=" | ">" | ">=" | "==" | "!=")
        ) {
            return Err(self.error_at(
                self.pos,
                "comparisons do not chain: join them with 'and'".into(),
            ));
        }
        self.push(op, -1);
        Ok(Ty::Bool)
    }

    /// `feature [not] in list`: the feature must be a single feature name.
    fn numeric_membership(&mut self, c: &mut Compiler, at: usize) -> Result<Ty, RuleError> {
        let Some(Op::Feature(f)) = (self.pos == at + 1)
            .then(|| self.ops.last().copied())
            .flatten()
        else {
            return Err(self.error_at(at, "'in' needs a feature or field name on its left".into()));
        };
        self.ops.pop();
        self.depth -= 1;
        let negate = self.is_word("not");
        self.pos += if negate { 2 } else { 1 };
        let values = self.list_operand(c)?;
        let mut set = FxHashSet::default();
        for v in &values {
            let Lit::Num(x) = v else {
                return Err(self.error_at(
                    self.pos - 1,
                    format!(
                        "feature '{}' is a number, the list holds {v:?}",
                        NAMES[usize::from(f)]
                    ),
                ));
            };
            // Features are 32-bit floats: compare with the value as the feature would hold it.
            set.insert(f64::from(*x as f32).to_bits());
        }
        let s = c.add_set(set);
        self.push(Op::InFeature(f, s), 1);
        if negate {
            self.push(Op::Not, 0);
        }
        self.check_depth(at)?;
        Ok(Ty::Bool)
    }

    fn list_operand(&mut self, c: &mut Compiler) -> Result<Vec<Lit>, RuleError> {
        match &self.toks[self.pos].tok {
            Tok::Ident(name) => {
                let Some(values) = c.lists.get(name) else {
                    return Err(self.error_at(self.pos, format!("unknown list '{name}'")));
                };
                self.pos += 1;
                Ok(values.clone())
            }
            Tok::Sym("[") => {
                let values = self.literal_list()?;
                c.count_values(self, values.len())?;
                Ok(values)
            }
            _ => Err(self.error_at(self.pos, "expected a list name or '[...]'".into())),
        }
    }

    fn named_comparison(
        &mut self,
        c: &mut Compiler,
        named: Named,
        at: usize,
    ) -> Result<Ty, RuleError> {
        let field_name = match &self.toks[at].tok {
            Tok::Ident(s) => s.clone(),
            _ => String::new(),
        };
        let (values, negate, single) = if self.is_sym("==") || self.is_sym("!=") {
            let negate = self.is_sym("!=");
            self.pos += 1;
            let Tok::Str(s) = &self.toks[self.pos].tok else {
                return Err(self.error_at(
                    self.pos,
                    format!(
                        "'{field_name}' is compared with a string, e.g. {}",
                        example(named)
                    ),
                ));
            };
            let v = vec![Lit::Str(s.clone())];
            self.pos += 1;
            (v, negate, true)
        } else {
            let negate = self.is_word("not");
            if negate {
                self.pos += 1;
                if !self.is_word("in") {
                    return Err(self.error_at(self.pos, "expected 'in' after 'not'".into()));
                }
            }
            self.pos += 1;
            (self.list_operand(c)?, negate, false)
        };
        let mut keys = FxHashSet::default();
        for v in &values {
            let key = match (named, v) {
                (Named::Channel, Lit::Str(s)) => channel_code(s).map(u64::from),
                (Named::Field(Field::Country), Lit::Str(s)) => country_code(s).map(u64::from),
                (Named::Field(Field::Card | Field::Terminal), Lit::Str(s)) => Some(hash_key(s)),
                _ => None,
            };
            let Some(key) = key else {
                return Err(self.error_at(
                    self.pos - 1,
                    format!("{v:?} is not a {field_name} value, e.g. {}", example(named)),
                ));
            };
            keys.insert(key);
        }
        // `==` with one value on a numeric field keeps the comparison's missing-value rule (false when unknown).
        match (named, single) {
            (Named::Channel, true) => {
                let code = keys.iter().next().copied().unwrap_or(0);
                self.push(Op::Feature(CHANNEL as u8), 1);
                self.push(Op::Const(code as f64), 1);
                self.push(if negate { Op::Ne } else { Op::Eq }, -1);
                return Ok(Ty::Bool);
            }
            (Named::Field(Field::Country), true) => {
                let code = keys.iter().next().copied().unwrap_or(0);
                self.push(Op::Country, 1);
                self.push(Op::Const(code as f64), 1);
                self.push(if negate { Op::Ne } else { Op::Eq }, -1);
                return Ok(Ty::Bool);
            }
            _ => {}
        }
        let op = match named {
            Named::Channel => {
                let set = keys.into_iter().map(|k| (k as f64).to_bits()).collect();
                Op::InFeature(CHANNEL as u8, c.add_set(set))
            }
            Named::Field(Field::Country) => Op::InCountry(c.add_set(keys)),
            Named::Field(Field::Card) => Op::InCard(c.add_set(keys)),
            Named::Field(Field::Terminal) => Op::InTerminal(c.add_set(keys)),
        };
        self.push(op, 1);
        if negate {
            self.push(Op::Not, 0);
        }
        Ok(Ty::Bool)
    }

    /// `+` and `-` chains of products.
    fn sum(&mut self, c: &mut Compiler) -> Result<Ty, RuleError> {
        self.arith(c, 0)
    }

    fn arith(&mut self, c: &mut Compiler, level: u8) -> Result<Ty, RuleError> {
        let (a, b, ops) = if level == 0 {
            ("+", "-", [Op::Add, Op::Sub])
        } else {
            ("*", "/", [Op::Mul, Op::Div])
        };
        let at = self.pos;
        let mut ty = if level == 0 {
            self.arith(c, 1)?
        } else {
            self.unary(c)?
        };
        while self.is_sym(a) || self.is_sym(b) {
            let op = if self.is_sym(a) { ops[0] } else { ops[1] };
            self.pos += 1;
            let rhs_at = self.pos;
            let rhs = if level == 0 {
                self.arith(c, 1)?
            } else {
                self.unary(c)?
            };
            if ty != Ty::Num {
                return Err(self.error_at(at, "arithmetic needs numbers".into()));
            }
            if rhs != Ty::Num {
                return Err(self.error_at(rhs_at, "arithmetic needs numbers".into()));
            }
            self.push(op, -1);
            ty = Ty::Num;
        }
        Ok(ty)
    }

    fn unary(&mut self, c: &mut Compiler) -> Result<Ty, RuleError> {
        if self.is_sym("-") {
            self.pos += 1;
            let at = self.pos;
            if self.unary(c)? != Ty::Num {
                return Err(self.error_at(at, "'-' needs a number".into()));
            }
            self.push(Op::Neg, 0);
            return Ok(Ty::Num);
        }
        self.atom(c)
    }

    fn atom(&mut self, c: &mut Compiler) -> Result<Ty, RuleError> {
        let at = self.pos;
        let ty = match self.toks[at].tok.clone() {
            Tok::Num(x) => {
                self.pos += 1;
                self.push(Op::Const(f64::from(x as f32)), 1);
                Ty::Num
            }
            Tok::Sym("(") => {
                self.pos += 1;
                let ty = self.expr(c)?;
                self.expect(")")?;
                ty
            }
            Tok::Ident(name) => {
                self.pos += 1;
                match operand_of(&name) {
                    Some(Operand::Feature(f)) => {
                        self.push(Op::Feature(f), 1);
                        Ty::Num
                    }
                    Some(Operand::Field(f)) => {
                        return Err(self.error_at(at, format!(
                            "'{name}' can only be compared with ==, != or in, e.g. {}",
                            example(Named::Field(f))
                        )));
                    }
                    None if c.lists.contains_key(&name) => {
                        return Err(self.error_at(at, format!("list '{name}' can only follow 'in'")));
                    }
                    None => {
                        return Err(self.error_at(at, format!(
                            "unknown name '{name}' (a feature: {}; or card, terminal, country)",
                            NAMES.join(", ")
                        )));
                    }
                }
            }
            Tok::Str(s) => return Err(self.error_at(at, format!("a string (\"{s}\") can only be compared with channel, country, card or terminal"))),
            Tok::End => return Err(self.error_at(at, "the expression ends too early".into())),
            Tok::Sym(s) => return Err(self.error_at(at, format!("unexpected '{s}'"))),
        };
        self.check_depth(at)?;
        Ok(ty)
    }
}

impl Compiler {
    fn add_set(&mut self, set: FxHashSet<u64>) -> u32 {
        self.set.sets.push(set);
        (self.set.sets.len() - 1) as u32
    }
}

fn named_of(name: &str) -> Option<Named> {
    if name == "channel" {
        Some(Named::Channel)
    } else {
        field_of(name).map(Named::Field)
    }
}

fn operand_of(name: &str) -> Option<Operand> {
    if let Some(f) = field_of(name) {
        return Some(Operand::Field(f));
    }
    index_of(name).map(|i| Operand::Feature(i as u8))
}

fn example(named: Named) -> &'static str {
    match named {
        Named::Channel => "channel == \"ONLINE\" (POS, ONLINE or ATM)",
        Named::Field(Field::Country) => "country == \"FR\" (ISO 3166 alpha-2, upper case)",
        Named::Field(Field::Card) => "card in [\"card-1\"] (card ids as sent)",
        Named::Field(Field::Terminal) => "terminal == \"T-42\" (terminal ids as sent)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{AMOUNT, CARD_TX_COUNT_1D, HOUR, IS_NIGHT};
    use crate::lists::hash_key;
    use std::fmt::Write as _;

    fn row() -> [f32; N_FEATURES] {
        let mut r = [f32::NAN; N_FEATURES];
        r[AMOUNT] = 6000.0;
        r[HOUR] = 3.0;
        r[IS_NIGHT] = 1.0;
        r[CARD_TX_COUNT_1D] = 4.0;
        r[CHANNEL] = f32::from(CHANNEL_ONLINE);
        r[crate::features::MCC] = 7995.0;
        r
    }

    fn rec() -> Record {
        Record {
            card: hash_key("card-123"),
            term: hash_key("T-1"),
            mcc: 7995,
            channel: CHANNEL_ONLINE,
            country: pack_country("FR"),
            ..Record::default()
        }
    }

    /// Which rules of `text` fire on `row()` / `rec()`.
    fn fires(text: &str) -> Vec<bool> {
        let set = RuleSet::compile(text).unwrap_or_else(|e| panic!("{e}"));
        let mut fired = vec![false; set.rules.len()];
        let _ = set.evaluate(&row(), &rec(), &mut fired);
        fired
    }

    fn error(text: &str) -> RuleError {
        RuleSet::compile(text).expect_err("should fail")
    }

    #[test]
    fn expressions_evaluate_as_documented() {
        let text = r#"
            # comments and blank lines are skipped
            list risky = [7995, 5967]
            list eu = ["FR", "DE"]
            rule A review: amount > 5000 and channel == "ONLINE"
            rule B review: amount > 5000 and channel == "POS"
            rule C decline: mcc in risky and (is_night == 1 or amount >= 100000)
            rule D flag: country in eu and not (card_tx_count_1d >= 5)
            rule E flag: country not in ["FR"] or amount / card_tx_count_1d == 1500
            rule F flag: card in ["card-123", "other"] and terminal != "T-2"
            rule G flag: card_mean_amount_1d > 0 or card_mean_amount_1d <= 0 or card_mean_amount_1d != 1
            rule H flag: hour in [1, 2, 3] and -amount < -5999.5 and 2 * (hour + 1) == 8
            rule I flag: channel in ["POS", "ATM"] or country == "DE"
        "#;
        // G: every comparison with a missing value is false, != included.
        assert_eq!(
            fires(text),
            [true, false, true, true, true, true, false, true, false]
        );
    }

    #[test]
    fn the_strongest_action_decides_and_flags_do_not() {
        let set = RuleSet::compile(
            "rule W flag: amount > 1\nrule R review: amount > 1\nrule D decline: amount > 1\nrule D2 decline: amount > 1",
        )
        .unwrap();
        let mut fired = vec![false; 4];
        let v = set.evaluate(&row(), &rec(), &mut fired);
        assert_eq!((v.action, v.rule), (Some(Action::Decline), 2));
        let only_flag = RuleSet::compile("rule W flag: amount > 1").unwrap();
        let v = only_flag.evaluate(&row(), &rec(), &mut fired);
        assert_eq!(v.action, None);
    }

    #[test]
    fn lists_allow_and_block_by_every_kind() {
        for (line, blocked) in [
            ("block card \"card-123\"", true),
            ("block card \"card-999\"", false),
            ("block terminal \"T-1\"", true),
            ("block mcc 5967, 7995", true),
            ("block country \"DE\"", false),
            ("list bad = [\"FR\"]\nblock country bad", true),
        ] {
            let set = RuleSet::compile(line).unwrap();
            assert_eq!(set.lists.blocks(&rec()), blocked, "{line}");
            assert!(!set.lists.allows(&rec()));
        }
        let set = RuleSet::compile("allow country \"FR\"").unwrap();
        assert!(set.lists.allows(&rec()) && !set.is_empty());
        assert!(RuleSet::compile("# nothing\n\n").unwrap().is_empty());
    }

    #[test]
    fn card_keys_match_the_schema_hash() {
        // Values from the schema package's hashKey (packages/schema/src/hash.ts).
        assert_eq!(hash_key("card-123"), 0xba81_3d01_9c8d_9426);
        assert_eq!(hash_key(""), 0x5191_c1c6_92ca_2f0e);
        assert_eq!(hash_key("é€😀x"), 0xf7e1_95e2_020f_fa13);
    }

    #[test]
    fn errors_name_the_rule_line_and_column() {
        let cases: [(&str, &str, usize, usize, &str); 14] = [
            ("rule A review: amount >", "A", 1, 24, "ends too early"),
            (
                "\n\nrule B review: amout > 5",
                "B",
                3,
                16,
                "unknown name 'amout'",
            ),
            (
                "rule C review: amount + 1",
                "C",
                1,
                16,
                "must be a condition",
            ),
            (
                "rule D review: channel == 2",
                "D",
                1,
                27,
                "compared with a string",
            ),
            (
                "rule E review: channel == \"WEB\"",
                "E",
                1,
                27,
                "not a channel value",
            ),
            ("rule F panic: amount > 1", "F", 1, 8, "unknown action"),
            (
                "rule G review: amount > 1 and 3",
                "G",
                1,
                31,
                "conditions on both sides",
            ),
            ("rule H review: mcc in nolist", "H", 1, 23, "unknown list"),
            ("rule I review: 1 < amount < 3", "I", 1, 27, "do not chain"),
            ("rule J review: (amount > 1", "J", 1, 27, "expected ')'"),
            (
                "rule K review: amount > 1\nrule K review: amount > 2",
                "K",
                2,
                6,
                "already defined",
            ),
            ("block planet \"Mars\"", "block", 1, 7, "unknown list kind"),
            ("block country \"France\"", "block", 1, 15, "two-letter"),
            ("frobnicate", "frobnicate", 1, 1, "unknown statement"),
        ];
        for (text, rule, line, column, msg) in cases {
            let e = error(text);
            assert_eq!(
                (e.rule.as_str(), e.line, e.column),
                (rule, line, column),
                "{text}: {e}"
            );
            assert!(e.message.contains(msg), "{text}: {e}");
            assert!(
                e.to_string()
                    .contains(&format!("line {line}, column {column}"))
            );
        }
    }

    #[test]
    fn random_texts_compile_or_fail_cleanly_and_compiled_ones_evaluate() {
        let words = [
            "rule",
            "R",
            "flag",
            "review",
            "decline",
            ":",
            "amount",
            "channel",
            "country",
            "card",
            "terminal",
            "mcc",
            "in",
            "not",
            "and",
            "or",
            "(",
            ")",
            "[",
            "]",
            ",",
            "==",
            "!=",
            "<",
            ">=",
            "+",
            "-",
            "*",
            "/",
            "1",
            "2.5",
            "\"ONLINE\"",
            "\"FR\"",
            "\"x\"",
            "list",
            "L",
            "=",
            "allow",
            "block",
            "#",
            "\n",
            "1e400",
            "\"",
        ];
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let mut compiled = 0;
        for _ in 0..20_000 {
            let n = 3 + (next() % 14) as usize;
            let mut text = String::from("rule R review: ");
            for _ in 0..n {
                text.push_str(words[(next() % words.len() as u64) as usize]);
                text.push(' ');
            }
            if let Ok(set) = RuleSet::compile(&text) {
                compiled += 1;
                let mut fired = vec![false; set.rules.len()];
                let _ = set.evaluate(&row(), &rec(), &mut fired);
            }
        }
        // Deep nesting of every kind of operand stays within the stack bound or is refused.
        for operand in [
            "amount > 1",
            "channel == \"POS\"",
            "country in [\"FR\"]",
            "card == \"c\"",
        ] {
            let nested = (0..40).fold(operand.to_string(), |acc, _| {
                format!("{operand} and ({acc})")
            });
            let e = error(&format!("rule D review: {nested}"));
            assert!(e.message.contains("deeper than"), "{e}");
        }
        assert!(compiled > 0);
    }

    #[test]
    fn limits_are_enforced() {
        let deep = format!(
            "rule X review: {}amount > 1{}",
            "(".repeat(40),
            ")".repeat(40)
        );
        assert!(
            RuleSet::compile(&deep).is_ok(),
            "parentheses alone do not deepen the stack"
        );
        let wide = format!(
            "rule X review: amount > {}",
            vec!["(1 +"; 40].join(" ") + " 1" + &")".repeat(40)
        );
        assert!(error(&wide).message.contains("deeper than"));
        let many = (0..=MAX_RULES).fold(String::new(), |mut s, i| {
            let _ = writeln!(s, "rule R{i} flag: amount > {i}");
            s
        });
        assert!(error(&many).message.contains("more than"));
    }
}
