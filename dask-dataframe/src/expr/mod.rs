//! Column expressions: `col("value") * 2 + lit(1.0)`, evaluated per partition with Arrow
//! compute kernels.
//!
//! An [`Expr`] is a small tree built with [`col`], [`lit`], the arithmetic operators
//! (`+ - * / %`), `&`, `|`, `!`, unary `-`, comparison methods ([`Expr::gt`], ...) and
//! functions ([`Expr::is_null`], [`Expr::fill_null`], [`Expr::cast`], [`Expr::alias`],
//! string functions under [`Expr::str`], datetime parts under [`Expr::dt`]).
//!
//! **Types are checked when an expression is used**, against the frame's schema
//! ([`resolve`](resolve::resolve)): a missing column or an operation on the wrong type
//! is an error from `select`/`filter`/`with_column` itself, naming the column, its type
//! and the operation, before any task exists. Resolution also makes the implicit
//! conversions explicit (an `Int64` plus a `Float64` casts the integer; `/` is true
//! division in `Float64`, as in pandas), so evaluation in a task never guesses.
//!
//! **Evaluation** ([`eval`](eval::eval)) works on whole columns: every node is one
//! Arrow kernel call over a partition's arrays (`numeric::add_wrapping`, `cmp::gt`,
//! `boolean::and_kleene`, `cast`, `like::contains`, `temporal::date_part`, ...), never a
//! loop over rows in the expression tree. Literals stay scalars where a kernel takes
//! them and are broadcast only where it does not.
//!
//! Null semantics follow Arrow (and SQL): arithmetic and comparisons with a null give
//! null; `&`/`|` use Kleene logic; a row whose filter predicate is null is dropped,
//! which is what pandas does with a NaN comparison.

pub(crate) mod eval;
pub(crate) mod resolve;

use std::fmt;
use std::ops::{Add, BitAnd, BitOr, Div, Mul, Neg, Not, Rem, Sub};

use arrow_schema::DataType;
use serde::{Deserialize, Serialize};

use crate::scalar::ScalarValue;

/// A column expression. See the [module docs](self).
///
/// ```
/// use dask_dataframe::{col, lit};
/// let e = (col("value") * 2 + lit(1.0)).gt(10).alias("big");
/// assert_eq!(e.to_string(), r#"((col("value") * 2) + 1.0) > 10 AS "big""#);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Expr {
    /// A column by name.
    Column(String),
    /// A constant.
    Literal(ScalarValue),
    /// `left op right`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// The left operand.
        left: Box<Expr>,
        /// The right operand.
        right: Box<Expr>,
    },
    /// Logical not of a boolean expression.
    Not(Box<Expr>),
    /// Arithmetic negation.
    Negate(Box<Expr>),
    /// Whether each value is null.
    IsNull(Box<Expr>),
    /// Whether each value is not null.
    IsNotNull(Box<Expr>),
    /// The expression with its nulls replaced by `value`.
    FillNull {
        /// The expression.
        expr: Box<Expr>,
        /// The replacement.
        value: Box<Expr>,
    },
    /// A conversion to another type (Arrow's cast rules).
    Cast {
        /// The expression.
        expr: Box<Expr>,
        /// The target type.
        to: DataType,
    },
    /// The expression under another output name.
    Alias {
        /// The expression.
        expr: Box<Expr>,
        /// The name.
        name: String,
    },
    /// A string function.
    Str {
        /// The function.
        func: StrFunc,
        /// The string expression.
        expr: Box<Expr>,
    },
    /// A part of a date or timestamp.
    Dt {
        /// The part.
        part: DtPart,
        /// The date or timestamp expression.
        expr: Box<Expr>,
    },
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (true division: the result is `Float64`)
    Div,
    /// `%` (the remainder, with the dividend's sign as in Arrow)
    Rem,
    /// `==`
    Eq,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `&` (Kleene and)
    And,
    /// `|` (Kleene or)
    Or,
}

impl BinaryOp {
    /// The operator's symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            BinaryOp::Eq => "==",
            BinaryOp::NotEq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::And => "&",
            BinaryOp::Or => "|",
        }
    }

    /// The operation's name in errors ("add", "compare", ...).
    pub(crate) fn verb(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "subtract",
            BinaryOp::Mul => "multiply",
            BinaryOp::Div => "divide",
            BinaryOp::Rem => "take the remainder of",
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq => "compare",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
        }
    }

    pub(crate) fn is_arithmetic(self) -> bool {
        matches!(
            self,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem
        )
    }

    pub(crate) fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::NotEq
                | BinaryOp::Lt
                | BinaryOp::LtEq
                | BinaryOp::Gt
                | BinaryOp::GtEq
        )
    }
}

/// String functions ([`Expr::str`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StrFunc {
    /// Whether the string contains the pattern (literally, not a regex).
    Contains(String),
    /// Whether the string starts with the prefix.
    StartsWith(String),
    /// Whether the string ends with the suffix.
    EndsWith(String),
    /// Lower case (Unicode).
    Lower,
    /// Upper case (Unicode).
    Upper,
    /// The length in characters (`Int64`).
    Len,
}

impl StrFunc {
    fn name(&self) -> &'static str {
        match self {
            StrFunc::Contains(_) => "contains",
            StrFunc::StartsWith(_) => "starts_with",
            StrFunc::EndsWith(_) => "ends_with",
            StrFunc::Lower => "lower",
            StrFunc::Upper => "upper",
            StrFunc::Len => "len",
        }
    }
}

/// Parts of dates and timestamps ([`Expr::dt`]); each is an `Int32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DtPart {
    /// The year.
    Year,
    /// The month, 1 to 12.
    Month,
    /// The day of the month, 1 to 31.
    Day,
    /// The hour, 0 to 23.
    Hour,
    /// The minute, 0 to 59.
    Minute,
    /// The second, 0 to 59.
    Second,
    /// The day of the week, Monday = 0 to Sunday = 6 (pandas' `weekday`).
    Weekday,
}

impl DtPart {
    fn name(self) -> &'static str {
        match self {
            DtPart::Year => "year",
            DtPart::Month => "month",
            DtPart::Day => "day",
            DtPart::Hour => "hour",
            DtPart::Minute => "minute",
            DtPart::Second => "second",
            DtPart::Weekday => "weekday",
        }
    }
}

/// The column `name`.
pub fn col(name: impl Into<String>) -> Expr {
    Expr::Column(name.into())
}

/// A constant: `lit(0.0)`, `lit(3)`, `lit("x")`, `lit(true)`, `lit(None::<i64>)`.
pub fn lit(value: impl Into<ScalarValue>) -> Expr {
    Expr::Literal(value.into())
}

impl Expr {
    fn binary(self, op: BinaryOp, other: impl Into<Expr>) -> Expr {
        Expr::Binary {
            op,
            left: Box::new(self),
            right: Box::new(other.into()),
        }
    }

    /// `self == other`.
    pub fn eq(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Eq, other)
    }

    /// `self != other`.
    pub fn not_eq(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::NotEq, other)
    }

    /// `self < other`.
    pub fn lt(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Lt, other)
    }

    /// `self <= other`.
    pub fn lt_eq(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::LtEq, other)
    }

    /// `self > other`.
    pub fn gt(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Gt, other)
    }

    /// `self >= other`.
    pub fn gt_eq(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::GtEq, other)
    }

    /// Whether each value is null.
    pub fn is_null(self) -> Expr {
        Expr::IsNull(Box::new(self))
    }

    /// Whether each value is not null.
    pub fn is_not_null(self) -> Expr {
        Expr::IsNotNull(Box::new(self))
    }

    /// The values, with nulls replaced by `value` (converted to the expression's type).
    pub fn fill_null(self, value: impl Into<Expr>) -> Expr {
        Expr::FillNull {
            expr: Box::new(self),
            value: Box::new(value.into()),
        }
    }

    /// The values converted to `to` (Arrow's cast; a value that does not convert is
    /// null, as pandas' `errors="coerce"`, except for overflows, which fail the task).
    pub fn cast(self, to: DataType) -> Expr {
        Expr::Cast {
            expr: Box::new(self),
            to,
        }
    }

    /// The expression under the output name `name`.
    pub fn alias(self, name: impl Into<String>) -> Expr {
        Expr::Alias {
            expr: Box::new(self),
            name: name.into(),
        }
    }

    /// String functions of a string expression.
    pub fn str(self) -> StrExpr {
        StrExpr(self)
    }

    /// Date and time parts of a date or timestamp expression.
    pub fn dt(self) -> DtExpr {
        DtExpr(self)
    }

    /// The columns the expression reads, in order of first use.
    pub fn columns(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.visit_columns(&mut |c| {
            if !out.contains(&c) {
                out.push(c);
            }
        });
        out
    }

    fn visit_columns<'a>(&'a self, f: &mut impl FnMut(&'a str)) {
        match self {
            Expr::Column(c) => f(c),
            Expr::Literal(_) => {}
            Expr::Binary { left, right, .. } => {
                left.visit_columns(f);
                right.visit_columns(f);
            }
            Expr::FillNull { expr, value } => {
                expr.visit_columns(f);
                value.visit_columns(f);
            }
            Expr::Not(e)
            | Expr::Negate(e)
            | Expr::IsNull(e)
            | Expr::IsNotNull(e)
            | Expr::Cast { expr: e, .. }
            | Expr::Alias { expr: e, .. }
            | Expr::Str { expr: e, .. }
            | Expr::Dt { expr: e, .. } => e.visit_columns(f),
        }
    }
}

/// String functions: `col("name").str().contains("an")`.
#[derive(Clone, Debug)]
pub struct StrExpr(Expr);

impl StrExpr {
    fn func(self, func: StrFunc) -> Expr {
        Expr::Str {
            func,
            expr: Box::new(self.0),
        }
    }

    /// Whether each string contains `pattern` (literally).
    pub fn contains(self, pattern: impl Into<String>) -> Expr {
        self.func(StrFunc::Contains(pattern.into()))
    }

    /// Whether each string starts with `prefix`.
    pub fn starts_with(self, prefix: impl Into<String>) -> Expr {
        self.func(StrFunc::StartsWith(prefix.into()))
    }

    /// Whether each string ends with `suffix`.
    pub fn ends_with(self, suffix: impl Into<String>) -> Expr {
        self.func(StrFunc::EndsWith(suffix.into()))
    }

    /// Each string in lower case.
    pub fn lower(self) -> Expr {
        self.func(StrFunc::Lower)
    }

    /// Each string in upper case.
    pub fn upper(self) -> Expr {
        self.func(StrFunc::Upper)
    }

    /// The length of each string in characters.
    pub fn len(self) -> Expr {
        self.func(StrFunc::Len)
    }
}

/// Date and time parts: `col("timestamp").dt().hour()`.
#[derive(Clone, Debug)]
pub struct DtExpr(Expr);

macro_rules! dt_parts {
    ($($(#[$doc:meta])* $name:ident => $part:ident),+) => {
        impl DtExpr {
            $($(#[$doc])* pub fn $name(self) -> Expr {
                Expr::Dt { part: DtPart::$part, expr: Box::new(self.0) }
            })+
        }
    };
}

dt_parts!(
    /// The year.
    year => Year,
    /// The month, 1 to 12.
    month => Month,
    /// The day of the month.
    day => Day,
    /// The hour.
    hour => Hour,
    /// The minute.
    minute => Minute,
    /// The second.
    second => Second,
    /// The day of the week, Monday = 0.
    weekday => Weekday
);

/// Plain values are literals, so `col("value") + 1` and `col("name").eq("bob")` work.
macro_rules! literal_from {
    ($($t:ty),+) => {
        $(impl From<$t> for Expr {
            fn from(v: $t) -> Expr {
                Expr::Literal(v.into())
            }
        })+
    };
}

literal_from!(
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32,
    u64,
    f32,
    f64,
    bool,
    &str,
    String,
    ScalarValue
);

macro_rules! binary_operator {
    ($($trait:ident $method:ident $op:ident),+) => {
        $(impl<R: Into<Expr>> $trait<R> for Expr {
            type Output = Expr;
            fn $method(self, rhs: R) -> Expr {
                self.binary(BinaryOp::$op, rhs)
            }
        })+
    };
}

binary_operator!(
    Add add Add, Sub sub Sub, Mul mul Mul, Div div Div, Rem rem Rem,
    BitAnd bitand And, BitOr bitor Or
);

impl Not for Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        Expr::Not(Box::new(self))
    }
}

impl Neg for Expr {
    type Output = Expr;
    fn neg(self) -> Expr {
        Expr::Negate(Box::new(self))
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Operands that are themselves binary get parentheses.
        let operand = |e: &Expr, f: &mut fmt::Formatter<'_>| match e {
            Expr::Binary { .. } => write!(f, "({e})"),
            _ => write!(f, "{e}"),
        };
        match self {
            Expr::Column(c) => write!(f, "col({c:?})"),
            Expr::Literal(v) => write!(f, "{v}"),
            Expr::Binary { op, left, right } => {
                operand(left, f)?;
                write!(f, " {} ", op.symbol())?;
                operand(right, f)
            }
            Expr::Not(e) => {
                f.write_str("!")?;
                operand(e, f)
            }
            Expr::Negate(e) => {
                f.write_str("-")?;
                operand(e, f)
            }
            Expr::IsNull(e) => write!(f, "{e}.is_null()"),
            Expr::IsNotNull(e) => write!(f, "{e}.is_not_null()"),
            Expr::FillNull { expr, value } => write!(f, "{expr}.fill_null({value})"),
            Expr::Cast { expr, to } => write!(f, "{expr}.cast({to})"),
            Expr::Alias { expr, name } => write!(f, "{expr} AS {name:?}"),
            Expr::Str { func, expr } => match func {
                StrFunc::Contains(p) | StrFunc::StartsWith(p) | StrFunc::EndsWith(p) => {
                    write!(f, "{expr}.str().{}({p:?})", func.name())
                }
                _ => write!(f, "{expr}.str().{}()", func.name()),
            },
            Expr::Dt { part, expr } => write!(f, "{expr}.dt().{}()", part.name()),
        }
    }
}
