/**
 * Collects bound values while a statement is written, and hands out the
 * dialect's placeholder for each: `?` (SQLite, MySQL) or `$n` (PostgreSQL).
 * An expression used twice (the patched document appears in SET and in the
 * size check) is simply bound twice, which works for both styles.
 */
import type { SqlQuery, SqlValue } from "./types.js";

export class Binder {
  readonly #numbered: boolean;
  readonly #params: SqlValue[] = [];

  constructor(style: "?" | "$n") {
    this.#numbered = style === "$n";
  }

  /** The placeholder for `value`, which is appended to the parameters. */
  bind(value: SqlValue): string {
    this.#params.push(value);
    return this.#numbered ? `$${this.#params.length}` : "?";
  }

  query(sql: string): SqlQuery {
    return { sql, params: this.#params };
  }
}

/** A statement with placeholders written in `style`, bound in order. */
export function sql(
  style: "?" | "$n",
  build: (bind: (value: SqlValue) => string) => string,
): SqlQuery {
  const b = new Binder(style);
  return b.query(build((v) => b.bind(v)));
}

/**
 * A statement whose text does not depend on its values, written once.
 * `build` writes the text with `arg(i)` where the i-th argument goes (an
 * argument may appear more than once); each call then binds the arguments in
 * text order into the same string.
 */
export function fixed(
  style: "?" | "$n",
  build: (arg: (index: number) => string) => string,
): (...args: SqlValue[]) => SqlQuery {
  const order: number[] = [];
  const text = sql(style, (bind) =>
    build((index) => {
      order.push(index);
      return bind(null);
    }),
  ).sql;
  return (...args) => ({ sql: text, params: order.map((i) => args[i] ?? null) });
}
