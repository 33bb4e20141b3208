/** An audio problem the service reports with its own SIS error code. */
export class AudioError extends Error {
    constructor(
        public readonly sisCode: string,
        message: string,
    ) {
        super(message);
        this.name = 'AudioError';
    }
}
