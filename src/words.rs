//! Words for counts in messages and notes: every layer that writes a
//! sentence for people uses these, so that "1 rows" cannot happen.

/// `word`, with an `s` unless there is exactly one.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// `n` and `word`, in the plural unless there is exactly one (`3 routes`).
pub fn count(n: usize, word: &str) -> String {
    format!("{n} {}", plural(n, word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(count(0, "route"), "0 routes");
        assert_eq!(count(1, "route"), "1 route");
        assert_eq!(count(2, "finding"), "2 findings");
    }
}
