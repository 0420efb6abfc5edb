import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppInfo, Language } from '$lib/ipc/types';

const bindings = vi.hoisted(() => ({
  policy: vi.fn(),
  appInfo: vi.fn(),
  setLanguage: vi.fn(),
  listen: vi.fn(),
  teamStatus: vi.fn(),
  teamListen: vi.fn(),
}));

vi.mock('$lib/ipc/bindings', () => ({
  commands: {
    appInfo: bindings.appInfo,
    setLanguage: bindings.setLanguage,
    policy: bindings.policy,
    setTheme: vi.fn().mockResolvedValue({ status: 'ok', data: null }),
    teamStatus: bindings.teamStatus,
  },
  events: {
    languageChanged: { listen: bindings.listen },
    operationChanged: { listen: bindings.listen },
    teamStatusChanged: { listen: bindings.teamListen },
  },
}));

import App from './App.svelte';
import { locale } from '$lib/i18n/index.svelte';

function info(language: Language | null): AppInfo {
  return {
    version: '0.1.0',
    environment: 'sandbox',
    simulated: true,
    language,
    theme: null,
    configDir: '/c',
    dataDir: '/d',
    logDir: '/l',
  };
}

beforeEach(() => {
  vi.clearAllMocks();
  locale.language = 'en';
  bindings.appInfo.mockResolvedValue({ status: 'ok', data: info(null) });
  bindings.policy.mockResolvedValue({
    status: 'ok',
    data: { policy: { operator: 'hanako', role: 'auditor', source: { kind: 'default' } }, allowed: ['search', 'view'] },
  });
  bindings.setLanguage.mockResolvedValue({ status: 'ok', data: null });
  bindings.listen.mockResolvedValue(() => {});
  bindings.teamStatus.mockResolvedValue({ status: 'ok', data: off });
  bindings.teamListen.mockResolvedValue(() => {});
});

const off = { on: false, link: null, unforwarded: 0, oldestUnforwarded: null, oldestAgeSeconds: null, limitSeconds: 0 };

describe('the app shell', () => {
  it('focuses the search box and shows the sandbox badge', async () => {
    render(App);
    const search = screen.getByRole('searchbox', { name: 'Search consumers' });
    expect(document.activeElement).toBe(search);
    expect(await screen.findByText('SANDBOX — simulated data')).toBeTruthy();
    expect(screen.getByText('Version 0.1.0')).toBeTruthy();
  });

  it('draws the focused search box alone before it asks the core for anything, then fills in', async () => {
    render(App);
    const search = screen.getByRole('searchbox', { name: 'Search consumers' });
    expect(document.activeElement).toBe(search);
    expect(screen.queryByRole('banner')).toBeNull();
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.queryByText('Find a consumer')).toBeNull();
    expect(bindings.appInfo).not.toHaveBeenCalled();
    expect(bindings.policy).not.toHaveBeenCalled();
    expect(bindings.listen).not.toHaveBeenCalled();
    expect(await screen.findByText('Version 0.1.0')).toBeTruthy();
    expect(screen.getByRole('banner')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Search' })).toBeTruthy();
    expect(screen.getByText('Find a consumer')).toBeTruthy();
    expect(document.activeElement).toBe(search);
    expect(bindings.policy).toHaveBeenCalledTimes(1);
    expect(bindings.listen).toHaveBeenCalledTimes(2);
    expect(bindings.teamListen).toHaveBeenCalledTimes(1);
    expect(screen.queryByTestId('team-status')).toBeNull();
  });

  it('shows in the status bar that writes are held while the trail has not reached the team store', async () => {
    const oldest = new Date(Date.now() - 400_000).toISOString();
    bindings.teamStatus.mockResolvedValue({
      status: 'ok',
      data: { ...off, on: true, link: { state: 'unreachable' }, unforwarded: 4, oldestUnforwarded: oldest, limitSeconds: 300 },
    });
    render(App);
    const status = await screen.findByTestId('team-status');
    expect(status.textContent).toContain('Writes held: 4 records not in the team store for 6 min (limit 5 min)');
    expect(status.classList.contains('warn')).toBe(true);
  });

  it('fills in even when the window draws no frame (started hidden)', async () => {
    vi.useFakeTimers();
    const frames = vi.spyOn(window, 'requestAnimationFrame').mockImplementation(() => 0);
    try {
      render(App);
      await vi.advanceTimersByTimeAsync(200);
      expect(screen.queryByRole('banner')).toBeNull();
      await vi.advanceTimersByTimeAsync(100);
      expect(screen.getByRole('banner')).toBeTruthy();
      expect(bindings.policy).toHaveBeenCalledTimes(1);
    } finally {
      frames.mockRestore();
      vi.useRealTimers();
    }
  });

  it("shows the language codes, each with its language's own name", async () => {
    render(App);
    const japanese = await screen.findByRole('button', { name: 'JA 日本語' });
    expect(japanese.textContent).toBe('JA');
    expect(japanese.getAttribute('title')).toBe('日本語');
    expect(screen.getByRole('button', { name: 'EN English' }).textContent).toBe('EN');
  });

  it('switches to Japanese at once and saves the choice', async () => {
    render(App);
    await screen.findByText('Find a consumer');
    await fireEvent.click(screen.getByRole('button', { name: 'JA 日本語' }));
    expect(screen.getByRole('heading', { name: '会員を探す' })).toBeTruthy();
    expect(screen.getByRole('searchbox', { name: '会員を検索' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'JA 日本語' }).getAttribute('aria-pressed')).toBe('true');
    expect(bindings.setLanguage).toHaveBeenCalledWith('ja');
    await waitFor(() => expect(document.documentElement.lang).toBe('ja'));
  });

  it('draws its first frame in the saved language and theme the core handed over', async () => {
    const page = window as Window & { __C2P_START__?: unknown };
    page.__C2P_START__ = { language: 'ja', theme: 'dark' };
    try {
      render(App);
      expect(screen.getByRole('searchbox', { name: '会員を検索' })).toBeTruthy();
      expect(bindings.appInfo).not.toHaveBeenCalled();
      await waitFor(() => expect(document.documentElement.dataset.theme).toBe('dark'));
      expect(document.documentElement.lang).toBe('ja');
    } finally {
      delete page.__C2P_START__;
    }
  });

  it('starts in the saved language', async () => {
    bindings.appInfo.mockResolvedValue({ status: 'ok', data: info('ja') });
    render(App);
    expect(await screen.findByText('サンドボックス — シミュレーションデータ')).toBeTruthy();
    expect(screen.getByRole('heading', { name: '会員を探す' })).toBeTruthy();
  });

  it('follows a language change announced by the core', async () => {
    let announce: (event: { payload: { language: Language } }) => void = () => {};
    bindings.listen.mockImplementation(async (handler) => {
      announce = handler;
      return () => {};
    });
    render(App);
    await screen.findByText('Find a consumer');
    // The listeners start once the first frame is drawn.
    await vi.waitFor(() => expect(bindings.listen).toHaveBeenCalledTimes(2));
    announce({ payload: { language: 'ja' } });
    expect(await screen.findByRole('heading', { name: '会員を探す' })).toBeTruthy();
  });

  it('keeps the switch but says when the choice could not be saved', async () => {
    bindings.setLanguage.mockResolvedValue({ status: 'error', error: { code: 'STORAGE', message: 'disk full' } });
    render(App);
    await screen.findByText('Find a consumer');
    await fireEvent.click(screen.getByRole('button', { name: 'JA 日本語' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('言語の選択を保存できませんでした');
    expect(alert.textContent).not.toContain('disk full');
  });

  it('explains a failed start-up in words, never the raw message', async () => {
    bindings.appInfo.mockResolvedValue({ status: 'error', error: { code: 'STORAGE', message: 'EACCES /x' } });
    render(App);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Check that the disk is not full');
    expect(alert.textContent).not.toContain('EACCES');
  });
});
