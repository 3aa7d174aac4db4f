/** Whether the page is hidden: another tab in front, a minimised window, a locked screen. */
export const pageHidden = (): boolean => document.visibilityState === 'hidden';

/** Calls `shown` each time the page is shown again after it was hidden. */
export function onShown(shown: () => void): void {
  document.addEventListener('visibilitychange', () => {
    if (!pageHidden()) shown();
  });
}
