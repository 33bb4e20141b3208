// Dates as text in requests (signatures, object keys): many requests a second ask for the same
// text, so each formatter keeps the text of the last period it was asked for.

/** `format`, computed once per period of `periodMs` (UTC periods from the epoch) and kept. */
export function textPerPeriod(periodMs: number, format: (date: Date) => string): (date: Date) => string {
    let last = Number.NaN;
    let text = '';
    return (date) => {
        const period = Math.floor(date.getTime() / periodMs);
        if (period !== last) {
            text = format(date);
            last = period;
        }
        return text;
    };
}
