export declare const ROOT: string
export declare const BUILD_STAMP: string
export declare function distIsFresh (): boolean
export declare function hasSources (): boolean
export declare function chosenRuntime (): string
