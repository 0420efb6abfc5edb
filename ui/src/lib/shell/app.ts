import { commands, events, type AppInfo_Serialize, type Language, type OperatorInfo, type Theme } from '$lib/ipc/bindings';
import { call } from '$lib/ipc/call';

/** Version, environment, saved language and theme, and the console's directories. */
export function appInfo(): Promise<AppInfo_Serialize> {
  return call(commands.appInfo());
}

/** The operator, their role and what it allows. */
export function policy(): Promise<OperatorInfo> {
  return call(commands.policy());
}

/** Saves the operator's theme (`null`: follow the system). */
export function saveTheme(theme: Theme | null): Promise<null> {
  return call(commands.setTheme(theme));
}

/** Saves the operator's language (the core tells every window). */
export function saveLanguage(language: Language): Promise<null> {
  return call(commands.setLanguage(language));
}

/** Follows the language changes the core announces; resolves to the function that stops it. */
export function onLanguageChanged(listener: (language: Language) => void): Promise<() => void> {
  return events.languageChanged.listen((event) => listener(event.payload.language));
}
