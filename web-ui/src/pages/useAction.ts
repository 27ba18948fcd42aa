import { useState } from "react";

/** Run a change, then reload the list; keeps the error to show (a 4xx says what to fix). */
export function useAction(reload: () => Promise<unknown>) {
  const [error, setError] = useState<unknown>(null);
  async function act(action: () => Promise<unknown>): Promise<boolean> {
    setError(null);
    try {
      await action();
      await reload();
      return true;
    } catch (cause) {
      setError(cause);
      return false;
    }
  }
  return { error, act };
}
