//! Type checking: an expression resolved against a schema, with its implicit
//! conversions made explicit.
//!
//! Rules (pandas' where Arrow leaves a choice):
//! * arithmetic needs numbers; operands of different types meet in a common type
//!   (any float → `Float64`, or `Float32` when both are; signed integers → `Int64`;
//!   unsigned → `UInt64`; `UInt64` with a signed integer → `Float64`, as NumPy); two
//!   operands of one type stay in it; `/` is true division in `Float64`;
//! * comparisons need numbers on both sides (compared in their common type), strings
//!   on both, booleans on both, or dates/timestamps on both — or a date/timestamp and
//!   a string literal, which is read as that type when the expression is resolved (so
//!   `col("timestamp").gt("2015-06-01")` works and a typo in the date is an error now);
//! * `&`, `|`, `!` need booleans; unary `-` a signed number or a float;
//! * `fill_null` converts the replacement to the expression's type (numbers to their
//!   common type); `cast` must be one Arrow can do;
//! * string functions need strings, datetime parts dates or timestamps;
//! * a null literal fits any type.
//!
//! The output name of an expression is its alias, else the first column it reads
//! (`col("value") * 2` is still `"value"`), else `"literal"`.

use arrow_schema::{DataType, Field, Schema};

use super::{BinaryOp, Expr, StrFunc};
use crate::error::{Error, Result};
use crate::scalar::ScalarValue;

/// An expression checked against a schema.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Resolved {
    /// The expression with explicit casts where types meet.
    pub expr: Expr,
    /// Its output name, type and nullability.
    pub field: Field,
}

/// Resolves `expr` against `schema` for the operation `op` (named in errors).
pub(crate) fn resolve(expr: &Expr, schema: &Schema, op: &str) -> Result<Resolved> {
    let cx = Context {
        schema,
        op,
        whole: expr,
    };
    let (typed, dtype, nullable) = cx.typed(expr)?;
    Ok(Resolved {
        expr: typed,
        field: Field::new(output_name(expr), dtype, nullable),
    })
}

/// The output name of an expression (see the module notes).
pub(crate) fn output_name(expr: &Expr) -> String {
    match expr {
        Expr::Alias { name, .. } => name.clone(),
        Expr::Column(c) => c.clone(),
        Expr::Literal(_) => "literal".to_string(),
        Expr::Binary { left, right, .. } => match **left {
            Expr::Literal(_) => output_name(right),
            _ => output_name(left),
        },
        Expr::FillNull { expr: e, .. }
        | Expr::Not(e)
        | Expr::Negate(e)
        | Expr::IsNull(e)
        | Expr::IsNotNull(e)
        | Expr::Cast { expr: e, .. }
        | Expr::Str { expr: e, .. }
        | Expr::Dt { expr: e, .. } => output_name(e),
    }
}

/// Whether `t` is a number type arithmetic accepts.
pub(crate) fn is_numeric(t: &DataType) -> bool {
    t.is_integer() || t.is_floating()
}

/// Whether `t` is a string type.
pub(crate) fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// Whether `t` is a date or timestamp type.
pub(crate) fn is_temporal(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
    )
}

/// The common type of two number types (see the module notes).
pub(crate) fn common_numeric(a: &DataType, b: &DataType) -> DataType {
    use DataType::*;
    if a == b {
        return a.clone();
    }
    if a.is_floating() || b.is_floating() {
        return if matches!((a, b), (Float32, Float32)) {
            Float32
        } else {
            Float64
        };
    }
    match (a.is_unsigned_integer(), b.is_unsigned_integer()) {
        (true, true) => UInt64,
        (false, false) => Int64,
        _ if matches!(a, UInt64) || matches!(b, UInt64) => Float64,
        _ => Int64,
    }
}

struct Context<'a> {
    schema: &'a Schema,
    op: &'a str,
    whole: &'a Expr,
}

impl Context<'_> {
    fn type_error(&self, message: String) -> Error {
        Error::Type {
            op: self.op.to_string(),
            expr: self.whole.to_string(),
            message,
        }
    }

    /// `(expression with casts, type, nullable)`.
    fn typed(&self, e: &Expr) -> Result<(Expr, DataType, bool)> {
        match e {
            Expr::Column(c) => {
                let field = self
                    .schema
                    .field_with_name(c)
                    .map_err(|_| Error::NoColumn {
                        op: self.op.to_string(),
                        column: c.clone(),
                        available: column_list(self.schema),
                    })?;
                Ok((e.clone(), field.data_type().clone(), field.is_nullable()))
            }
            Expr::Literal(v) => Ok((e.clone(), v.data_type(), v.is_null())),
            Expr::Binary { op, left, right } => self.binary(*op, left, right),
            Expr::Not(inner) => {
                let (x, t, n) = self.typed(inner)?;
                self.expect(&t, inner, "negate with `!`", "a boolean", |t| {
                    *t == DataType::Boolean
                })?;
                Ok((Expr::Not(Box::new(x)), DataType::Boolean, n))
            }
            Expr::Negate(inner) => {
                let (x, t, n) = self.typed(inner)?;
                self.expect(&t, inner, "negate", "a signed number or a float", |t| {
                    t.is_signed_integer() || t.is_floating()
                })?;
                Ok((Expr::Negate(Box::new(x)), t, n))
            }
            Expr::IsNull(inner) => {
                let (x, _, _) = self.typed(inner)?;
                Ok((Expr::IsNull(Box::new(x)), DataType::Boolean, false))
            }
            Expr::IsNotNull(inner) => {
                let (x, _, _) = self.typed(inner)?;
                Ok((Expr::IsNotNull(Box::new(x)), DataType::Boolean, false))
            }
            Expr::FillNull { expr, value } => self.fill_null(expr, value),
            Expr::Cast { expr, to } => {
                let (x, t, n) = self.typed(expr)?;
                if !arrow_cast::can_cast_types(&t, to) {
                    return Err(self.type_error(format!("cannot cast {expr} from {t} to {to}")));
                }
                Ok((cast(x, &t, to), to.clone(), n || t != *to))
            }
            Expr::Alias { expr, name } => {
                let (x, t, n) = self.typed(expr)?;
                Ok((
                    Expr::Alias {
                        expr: Box::new(x),
                        name: name.clone(),
                    },
                    t,
                    n,
                ))
            }
            Expr::Str { func, expr } => {
                let (x, t, n) = self.typed(expr)?;
                self.expect(&t, expr, "use a string function on", "a string", is_string)?;
                let out = match func {
                    StrFunc::Contains(_) | StrFunc::StartsWith(_) | StrFunc::EndsWith(_) => {
                        DataType::Boolean
                    }
                    StrFunc::Lower | StrFunc::Upper => t.clone(),
                    StrFunc::Len => DataType::Int64,
                };
                Ok((
                    Expr::Str {
                        func: func.clone(),
                        expr: Box::new(x),
                    },
                    out,
                    n,
                ))
            }
            Expr::Dt { part, expr } => {
                let (x, t, n) = self.typed(expr)?;
                self.expect(
                    &t,
                    expr,
                    "take a date part of",
                    "a date or a timestamp",
                    is_temporal,
                )?;
                Ok((
                    Expr::Dt {
                        part: *part,
                        expr: Box::new(x),
                    },
                    DataType::Int32,
                    n,
                ))
            }
        }
    }

    /// An error unless `t` (the type of `e`) passes `ok`; null always passes.
    fn expect(
        &self,
        t: &DataType,
        e: &Expr,
        verb: &str,
        wanted: &str,
        ok: impl Fn(&DataType) -> bool,
    ) -> Result<()> {
        if *t == DataType::Null || ok(t) {
            return Ok(());
        }
        Err(self.type_error(format!("cannot {verb} {e}, a {t}: it needs {wanted}")))
    }

    fn binary(&self, op: BinaryOp, left: &Expr, right: &Expr) -> Result<(Expr, DataType, bool)> {
        let (l, lt, ln) = self.typed(left)?;
        let (r, rt, rn) = self.typed(right)?;
        let nullable = ln || rn;
        let make = |l: Expr, r: Expr| Expr::Binary {
            op,
            left: Box::new(l),
            right: Box::new(r),
        };
        let mismatch = |needs: &str| {
            self.type_error(format!(
                "cannot {} {left} ({lt}) and {right} ({rt}): {needs}",
                op.verb()
            ))
        };
        let null = DataType::Null;
        if op.is_arithmetic() {
            let numeric = |t: &DataType| is_numeric(t) || *t == null;
            if !numeric(&lt) || !numeric(&rt) {
                return Err(mismatch("arithmetic needs numbers"));
            }
            let common = if op == BinaryOp::Div {
                DataType::Float64
            } else if lt == null {
                rt.clone()
            } else if rt == null {
                lt.clone()
            } else {
                common_numeric(&lt, &rt)
            };
            let out = make(cast(l, &lt, &common), cast(r, &rt, &common));
            return Ok((out, common, nullable));
        }
        if op.is_comparison() {
            let (l, r) = self.comparable(l, &lt, left, r, &rt, right, &mismatch)?;
            return Ok((make(l, r), DataType::Boolean, nullable));
        }
        // And / Or.
        let boolean = |t: &DataType| *t == DataType::Boolean || *t == null;
        if !boolean(&lt) || !boolean(&rt) {
            return Err(mismatch("`&` and `|` need booleans"));
        }
        Ok((
            make(
                cast(l, &lt, &DataType::Boolean),
                cast(r, &rt, &DataType::Boolean),
            ),
            DataType::Boolean,
            nullable,
        ))
    }

    /// The two sides of a comparison, converted to one type.
    #[allow(clippy::too_many_arguments)]
    fn comparable(
        &self,
        l: Expr,
        lt: &DataType,
        left: &Expr,
        r: Expr,
        rt: &DataType,
        right: &Expr,
        mismatch: &dyn Fn(&str) -> Error,
    ) -> Result<(Expr, Expr)> {
        let null = DataType::Null;
        if *lt == null || *rt == null {
            let t = if *lt == null { rt } else { lt };
            return Ok((cast(l, lt, t), cast(r, rt, t)));
        }
        if is_numeric(lt) && is_numeric(rt) {
            let c = common_numeric(lt, rt);
            return Ok((cast(l, lt, &c), cast(r, rt, &c)));
        }
        if is_string(lt) && is_string(rt) {
            let c = if lt == rt { lt.clone() } else { DataType::Utf8 };
            return Ok((cast(l, lt, &c), cast(r, rt, &c)));
        }
        if *lt == DataType::Boolean && *rt == DataType::Boolean {
            return Ok((l, r));
        }
        if is_temporal(lt) && is_temporal(rt) {
            return Ok((l, cast(r, rt, lt)));
        }
        // A date or timestamp against a string literal: read the literal as that type.
        if is_temporal(lt) && is_string(rt) {
            return Ok((l, self.temporal_literal(right, lt)?));
        }
        if is_string(lt) && is_temporal(rt) {
            return Ok((self.temporal_literal(left, rt)?, r));
        }
        Err(mismatch(
            "comparisons need numbers, strings, booleans or dates on both sides",
        ))
    }

    /// A string literal read as the temporal type `t`, or an error naming it.
    fn temporal_literal(&self, e: &Expr, t: &DataType) -> Result<Expr> {
        let Expr::Literal(ScalarValue::Utf8(text)) = e else {
            return Err(self.type_error(format!(
                "{e} is a string column; compare a date or timestamp with a string literal, or cast the column"
            )));
        };
        let parsed = arrow_cast::cast(&ScalarValue::Utf8(text.clone()).to_array(1), t)
            .ok()
            .and_then(|a| ScalarValue::from_array(&a, 0).ok())
            .filter(|v| !v.is_null());
        match parsed {
            Some(v) => Ok(Expr::Literal(v)),
            None => Err(self.type_error(format!("cannot read {text:?} as a {t}"))),
        }
    }

    fn fill_null(&self, expr: &Expr, value: &Expr) -> Result<(Expr, DataType, bool)> {
        let (x, t, _) = self.typed(expr)?;
        let (v, vt, vn) = self.typed(value)?;
        let out = if vt == DataType::Null {
            t.clone()
        } else if t == DataType::Null {
            vt.clone()
        } else if is_numeric(&t) && is_numeric(&vt) {
            common_numeric(&t, &vt)
        } else if t == vt || (is_string(&t) && is_string(&vt)) {
            t.clone()
        } else {
            return Err(self.type_error(format!(
                "cannot fill the nulls of {expr} ({t}) with {value} ({vt})"
            )));
        };
        Ok((
            Expr::FillNull {
                expr: Box::new(cast(x, &t, &out)),
                value: Box::new(cast(v, &vt, &out)),
            },
            out,
            vn,
        ))
    }
}

/// `e` cast from `from` to `to`, or `e` itself when they are equal.
fn cast(e: Expr, from: &DataType, to: &DataType) -> Expr {
    if from == to {
        e
    } else {
        Expr::Cast {
            expr: Box::new(e),
            to: to.clone(),
        }
    }
}

/// "`a` (Int64), `b` (Utf8)", for errors about missing columns.
pub(crate) fn column_list(schema: &Schema) -> String {
    schema
        .fields()
        .iter()
        .map(|f| format!("`{}` ({})", f.name(), f.data_type()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{col, lit};

    fn schema() -> Schema {
        Schema::new(vec![
            Field::new("i", DataType::Int64, true),
            Field::new("x", DataType::Float64, true),
            Field::new("s", DataType::Utf8, true),
            Field::new(
                "t",
                DataType::Timestamp(arrow_schema::TimeUnit::Microsecond, None),
                true,
            ),
        ])
    }

    #[test]
    fn numbers_meet_in_their_common_type() {
        let r = resolve(&(col("i") + col("x")), &schema(), "select").unwrap();
        assert_eq!(r.field.data_type(), &DataType::Float64);
        assert_eq!(r.field.name(), "i");
        let r = resolve(&(col("i") / 2), &schema(), "select").unwrap();
        assert_eq!(r.field.data_type(), &DataType::Float64);
        let r = resolve(&(col("i") * 2), &schema(), "select").unwrap();
        assert_eq!(r.field.data_type(), &DataType::Int64);
        assert_eq!(
            common_numeric(&DataType::UInt64, &DataType::Int8),
            DataType::Float64
        );
        assert_eq!(
            common_numeric(&DataType::UInt8, &DataType::UInt32),
            DataType::UInt64
        );
        assert_eq!(
            common_numeric(&DataType::Float32, &DataType::Float32),
            DataType::Float32
        );
    }

    #[test]
    fn errors_name_the_column_its_type_and_the_operation() {
        let e = resolve(&(col("s") + 1), &schema(), "with_column").unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("with_column") && m.contains("Utf8") && m.contains("add"),
            "{m}"
        );
        let e = resolve(&col("nope").gt(1), &schema(), "filter").unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("`nope`") && m.contains("filter") && m.contains("`i` (Int64)"),
            "{m}"
        );
        let e = resolve(&col("x").str().lower(), &schema(), "select").unwrap_err();
        assert!(e.to_string().contains("string function"), "{e}");
        let e = resolve(&(col("i") & col("x")), &schema(), "filter").unwrap_err();
        assert!(e.to_string().contains("booleans"), "{e}");
    }

    #[test]
    fn timestamps_compare_with_string_literals_read_now() {
        let r = resolve(&col("t").gt("2015-06-01"), &schema(), "filter").unwrap();
        assert_eq!(r.field.data_type(), &DataType::Boolean);
        let e = resolve(&col("t").gt("2015-13-45"), &schema(), "filter").unwrap_err();
        assert!(e.to_string().contains("2015-13-45"), "{e}");
        let r = resolve(&col("t").dt().hour(), &schema(), "select").unwrap();
        assert_eq!(r.field.data_type(), &DataType::Int32);
    }

    #[test]
    fn names_come_from_the_alias_or_the_first_column() {
        assert_eq!(output_name(&(lit(1) + col("x"))), "x");
        assert_eq!(output_name(&(col("x") + 1).alias("y")), "y");
        assert_eq!(output_name(&lit(1)), "literal");
    }
}
