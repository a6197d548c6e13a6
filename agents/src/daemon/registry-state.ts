// Names of the methods the running daemon serves (set once at startup, read by `hello`).
let names: string[] = [];

export const setRegisteredMethods = (list: string[]): void => {
  names = [...list].sort();
};

export const registeredMethods = (): string[] => [...names];
