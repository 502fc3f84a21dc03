//! A unified diff of two texts (`renew --dry-run`): the lines that differ with three lines of
//! context, in the `diff -u` format `patch` reads. Line breaks (LF or CRLF) are not shown.

use std::fmt::Write as _;

const CONTEXT: usize = 3;
/// Above this many line pairs in the differing middle, the middle is shown as replaced
/// rather than matched line by line (an edit touches a few lines of one number).
const MATCH_LIMIT: usize = 4_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Same,
    Removed,
    Added,
}

/// The unified diff from `old` to `new`, both named `name`; empty when they are equal.
pub fn unified(name: &str, old: &str, new: &str) -> String {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = operations(&old_lines, &new_lines);
    if ops.iter().all(|(op, _)| *op == Op::Same) {
        return String::new();
    }
    let mut out = format!("--- {name}\n+++ {name}\n");
    // Hunks: runs of changes closer than twice the context, with context around them.
    let changed: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].0 != Op::Same).collect();
    let mut index = 0;
    while index < changed.len() {
        let first = changed[index];
        let mut last = first;
        while index + 1 < changed.len() && changed[index + 1] <= last + 2 * CONTEXT + 1 {
            index += 1;
            last = changed[index];
        }
        index += 1;
        let start = first.saturating_sub(CONTEXT);
        let end = (last + CONTEXT + 1).min(ops.len());
        // Line numbers (1-based) where the hunk starts in each text.
        let old_before = ops[..start]
            .iter()
            .filter(|(op, _)| *op != Op::Added)
            .count();
        let new_before = ops[..start]
            .iter()
            .filter(|(op, _)| *op != Op::Removed)
            .count();
        let old_count = ops[start..end]
            .iter()
            .filter(|(op, _)| *op != Op::Added)
            .count();
        let new_count = ops[start..end]
            .iter()
            .filter(|(op, _)| *op != Op::Removed)
            .count();
        let _ = writeln!(
            out,
            "@@ -{} +{} @@",
            range(old_before, old_count),
            range(new_before, new_count)
        );
        for (op, line) in &ops[start..end] {
            let mark = match op {
                Op::Same => ' ',
                Op::Removed => '-',
                Op::Added => '+',
            };
            let text = line.strip_suffix('\n').unwrap_or(line);
            let text = text.strip_suffix('\r').unwrap_or(text);
            let _ = writeln!(out, "{mark}{text}");
            if !line.ends_with('\n') {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
    out
}

fn range(before: usize, count: usize) -> String {
    match count {
        0 => format!("{before},0"),
        1 => format!("{}", before + 1),
        _ => format!("{},{count}", before + 1),
    }
}

/// Every line of both texts in order, marked same, removed or added: the common start and
/// end, and a longest common subsequence of the middle.
fn operations<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<(Op, &'a str)> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let old_middle = &old[prefix..old.len() - suffix];
    let new_middle = &new[prefix..new.len() - suffix];
    let mut ops: Vec<(Op, &str)> = old[..prefix].iter().map(|line| (Op::Same, *line)).collect();
    let (rows, columns) = (old_middle.len(), new_middle.len());
    if rows.saturating_mul(columns) > MATCH_LIMIT {
        ops.extend(old_middle.iter().map(|line| (Op::Removed, *line)));
        ops.extend(new_middle.iter().map(|line| (Op::Added, *line)));
    } else {
        // lengths[i][j]: the longest common subsequence of old_middle[i..] and new_middle[j..].
        let width = columns + 1;
        let mut lengths = vec![0u32; (rows + 1) * width];
        for i in (0..rows).rev() {
            for j in (0..columns).rev() {
                lengths[i * width + j] = if old_middle[i] == new_middle[j] {
                    lengths[(i + 1) * width + j + 1] + 1
                } else {
                    lengths[(i + 1) * width + j].max(lengths[i * width + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < rows || j < columns {
            if i < rows && j < columns && old_middle[i] == new_middle[j] {
                ops.push((Op::Same, old_middle[i]));
                i += 1;
                j += 1;
            } else if i < rows
                && (j == columns || lengths[(i + 1) * width + j] >= lengths[i * width + j + 1])
            {
                // Removals before additions, as `diff -u` shows a changed line.
                ops.push((Op::Removed, old_middle[i]));
                i += 1;
            } else {
                ops.push((Op::Added, new_middle[j]));
                j += 1;
            }
        }
    }
    ops.extend(
        old[old.len() - suffix..]
            .iter()
            .map(|line| (Op::Same, *line)),
    );
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(unified("f", "a\nb\n", "a\nb\n"), "");
    }

    #[test]
    fn a_changed_line_is_shown_with_its_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n";
        let new = old
            .replacen("5\n", "five\n", 1)
            .replace("14\n", "14\nfourteen\n");
        assert_eq!(
            unified("c.toml", old, &new),
            "--- c.toml\n+++ c.toml\n\
             @@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n\
             @@ -12,5 +12,6 @@\n 12\n 13\n 14\n+fourteen\n 15\n 16\n"
        );
    }

    #[test]
    fn crlf_and_a_missing_last_newline() {
        assert_eq!(
            unified("c", "a\r\nb", "a\r\nc"),
            "--- c\n+++ c\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
        );
        assert_eq!(unified("c", "", "x\n"), "--- c\n+++ c\n@@ -0,0 +1 @@\n+x\n");
    }
}
