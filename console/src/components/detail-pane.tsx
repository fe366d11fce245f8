/** The right-hand side of a list page: the chosen item, with a link back to the list (shown on narrow screens only), or a hint to choose one. */
import type { ComponentChildren } from "preact";

interface DetailPaneProps {
  /** Whether an item is chosen (its detail is the children). */
  chosen: boolean;
  back: { href: string; label: string };
  empty: string;
  children: ComponentChildren;
}

export function DetailPane({ chosen, back, empty, children }: DetailPaneProps) {
  return (
    <section class="detail-pane">
      {chosen ? (
        <>
          <a class="back" href={back.href}>
            ← {back.label}
          </a>
          {children}
        </>
      ) : (
        <p class="muted">{empty}</p>
      )}
    </section>
  );
}
