// Keyboard movement through a list, shared by the views that have one (clusters, signals):
// ↑/↓ and k/j move the cursor, stopping at the ends.

/** The cursor after `key` in a list of `length` items; null when the key does not move it. */
export function moveCursor(key: string, cursor: number, length: number): number | null {
  if (key === "ArrowDown" || key === "j") return Math.min(cursor + 1, length - 1);
  if (key === "ArrowUp" || key === "k") return Math.max(cursor - 1, 0);
  return null;
}
