// The schedule editor's form and words: the three kinds of rule as the admin fills them in
// (every so many minutes or hours, every day at a time, weekdays at a time), what is wrong
// with what is typed (shown under the field), the settings the engine gets, and the schedule's
// state (next run, what the operating system has registered) in plain words.
import type { RegistrationState, ScheduleSettings, ScheduleStatus } from '../backend/backend';

export type RuleKind = 'every' | 'daily' | 'weekdays';
export type IntervalUnit = 'minutes' | 'hours';

/** What the admin has filled in; only the chosen kind's fields count. */
export interface ScheduleForm {
  kind: RuleKind;
  amount: string;
  unit: IntervalUnit;
  dailyTime: string;
  weekdaysTime: string;
  /** The connection to wait for; '' for none. */
  after: string;
}

/** A problem with one field: what is wrong, then what to do. */
export interface FormProblem {
  message: string;
  fix?: string;
}

/** The engine's limits: at least 5 minutes, at most 7 days between syncs. */
export const MIN_MINUTES = 5;
export const MAX_MINUTES = 7 * 24 * 60;

/** The form for the saved settings (a daily sync at 02:00 when there are none). */
export function formFrom(settings: ScheduleSettings | null): ScheduleForm {
  const form: ScheduleForm = { kind: 'daily', amount: '90', unit: 'minutes', dailyTime: '02:00', weekdaysTime: '07:30', after: settings?.after ?? '' };
  if (settings?.every) {
    form.kind = 'every';
    const minutes = intervalMinutes(settings.every);
    if (minutes !== null && minutes % 60 === 0) {
      form.amount = String(minutes / 60);
      form.unit = 'hours';
    } else if (minutes !== null) {
      form.amount = String(minutes);
    }
  } else if (settings?.weekdays) {
    form.kind = 'weekdays';
    form.weekdaysTime = settings.weekdays;
  } else if (settings?.daily) {
    form.dailyTime = settings.daily;
  }
  return form;
}

/** Minutes in an interval as the engine spells it ("90m", "2h", "1h30m"); null otherwise. */
function intervalMinutes(text: string): number | null {
  const match = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/.exec(text.trim());
  if (!match || text.trim() === '') return null;
  const [, days, hours, minutes] = match;
  return Number(days ?? 0) * 1440 + Number(hours ?? 0) * 60 + Number(minutes ?? 0);
}

/** What is wrong with "Every [amount] [unit]", if anything. */
export function intervalProblem(amount: string, unit: IntervalUnit): FormProblem | undefined {
  const typed = amount.trim();
  const fix = 'Enter a whole number of minutes (5 or more) or hours, for example every 90 minutes or every 4 hours.';
  if (typed === '') return { message: 'Say how often to sync.', fix };
  if (!/^\d+$/.test(typed)) return { message: `"${typed}" is not a whole number.`, fix };
  const minutes = Number(typed) * (unit === 'hours' ? 60 : 1);
  if (minutes === 0) return { message: `Every 0 ${unit} would never wait between syncs.`, fix: 'Enter 5 minutes or more, for example every 90 minutes.' };
  if (minutes < MIN_MINUTES) {
    return { message: `Every ${typed} ${typed === '1' ? 'minute' : 'minutes'} is too often: Rollcall syncs at most every ${MIN_MINUTES} minutes.`, fix: 'Enter 5 minutes or more, for example every 90 minutes.' };
  }
  if (minutes > MAX_MINUTES) {
    return { message: `Every ${typed} ${unit} is longer than a week.`, fix: 'Enter at most 168 hours (7 days), or choose "Every day at" to sync once a day.' };
  }
  return undefined;
}

/** What is wrong with a time of day typed as HH:MM, if anything. */
export function timeProblem(time: string): FormProblem | undefined {
  const typed = time.trim();
  const fix = 'Write the time on a 24-hour clock as HH:MM, for example 02:00 or 19:30.';
  if (typed === '') return { message: 'Say at what time to sync.', fix };
  const match = /^(\d{1,2}):(\d{2})$/.exec(typed);
  if (!match) return { message: `"${typed}" is not a time of day.`, fix };
  if (Number(match[1]) > 23 || Number(match[2]) > 59) {
    return { message: `${typed} does not exist on a clock: hours go from 00 to 23 and minutes from 00 to 59.`, fix };
  }
  return undefined;
}

/** The problem with the chosen rule's field, if any. */
export function ruleProblem(form: ScheduleForm): FormProblem | undefined {
  if (form.kind === 'every') return intervalProblem(form.amount, form.unit);
  return timeProblem(form.kind === 'daily' ? form.dailyTime : form.weekdaysTime);
}

/** "7:30" as "07:30". */
function padded(time: string): string {
  const [hours, minutes] = time.trim().split(':');
  return `${hours.padStart(2, '0')}:${minutes}`;
}

/** The settings the engine gets for the form, keeping the saved time zone (set on the command
 * line, if at all; the computer's own otherwise). */
export function settingsFrom(form: ScheduleForm, saved: ScheduleSettings | null): ScheduleSettings {
  const settings: ScheduleSettings = {};
  if (form.kind === 'every') {
    const minutes = Number(form.amount.trim()) * (form.unit === 'hours' ? 60 : 1);
    settings.every = `${minutes}m`;
  } else if (form.kind === 'daily') {
    settings.daily = padded(form.dailyTime);
  } else {
    settings.weekdays = padded(form.weekdaysTime);
  }
  if (saved?.time_zone) settings.time_zone = saved.time_zone;
  if (form.after !== '') settings.after = form.after;
  return settings;
}

/** Which field an engine's refusal of the rule is about. */
export function refusedField(message: string, kind: RuleKind): RuleKind | 'after' {
  for (const key of ['every', 'daily', 'weekdays'] as const) {
    if (message.startsWith(`${key} =`)) return key;
  }
  return /run after|runs after|waits/i.test(message) ? 'after' : kind;
}

/** The schedule in words: "every day at 02:00", "every 1 hour 30 minutes". */
export function ruleWords(settings: ScheduleSettings | null): string | null {
  if (settings?.every) {
    const minutes = intervalMinutes(settings.every);
    if (minutes === null) return `every ${settings.every}`;
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    const parts = [hours > 0 ? `${hours} ${hours === 1 ? 'hour' : 'hours'}` : '', rest > 0 ? `${rest} ${rest === 1 ? 'minute' : 'minutes'}` : ''];
    return `every ${parts.filter(Boolean).join(' ')}`;
  }
  if (settings?.daily) return `every day at ${settings.daily}`;
  if (settings?.weekdays) return `on weekdays (Monday to Friday) at ${settings.weekdays}`;
  return null;
}

/** The operating system's scheduler by the name an admin may know it by. */
export function schedulerWords(scheduler: string): string {
  switch (scheduler) {
    case 'systemd':
      return 'the systemd user timer';
    case 'launchd':
      return 'launchd';
    case 'task-scheduler':
      return 'Windows Task Scheduler';
    case 'folder':
      return "the demo's own folder (demo mode never registers anything with this computer)";
    default:
      return "this computer's scheduler";
  }
}

/** What the operating system has, in words; what to do about it when something is off. */
export interface RegistrationWords {
  text: string;
  ok: boolean;
  /** The one button that puts it right: register the schedule again, or remove what is left. */
  action: 'register' | 'remove' | null;
}

export function registrationWords(status: ScheduleStatus): RegistrationWords | null {
  const where = schedulerWords(status.scheduler);
  const words: Record<RegistrationState, RegistrationWords | null> = {
    not_scheduled: null,
    matches: { text: `Registered with ${where}, so it runs even when Rollcall is closed.`, ok: true, action: null },
    missing: { text: `Not registered with ${where}, so it will not run while Rollcall is closed.`, ok: false, action: 'register' },
    differs: { text: `Registered with ${where}, but not as set here: it was changed outside Rollcall.`, ok: false, action: 'register' },
    stray: { text: `${capitalised(where)} still has a schedule for this connection, which has none here.`, ok: false, action: 'remove' },
    unknown: { text: `Rollcall could not ask ${where} what is registered.`, ok: false, action: 'register' },
  };
  return words[status.registered];
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function sameZone(zone: string | null): boolean {
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const plain = (name: string) => (name === 'Etc/UTC' || name === 'Etc/GMT' ? 'UTC' : name);
  return zone === null || plain(zone) === plain(here);
}

/** When it runs next as the admin says it: "tomorrow at 02:00 (in 13 hours)". Times in another
 * time zone than this computer's are given as the engine wrote them, with the zone. */
export function nextRunWords(status: ScheduleStatus, now: Date = new Date()): string | null {
  if (status.next_run === null) return null;
  const next = new Date(status.next_run);
  if (Number.isNaN(next.getTime())) return status.next_run_local ?? status.next_run;
  if (!sameZone(status.time_zone)) return status.next_run_local ?? next.toLocaleString('en-GB');
  const time = next.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  const day = (date: Date) => new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
  const days = Math.round((day(next) - day(now)) / 86_400_000);
  const when =
    days <= 0
      ? `today at ${time}`
      : days === 1
        ? `tomorrow at ${time}`
        : `${next.toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long' })} at ${time}`;
  const minutes = Math.max(0, Math.round((next.getTime() - now.getTime()) / 60_000));
  const wait = minutes < 1 ? 'any moment now' : minutes < 60 ? `in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}` : minutes < 48 * 60 ? `in about ${Math.round(minutes / 60)} ${Math.round(minutes / 60) === 1 ? 'hour' : 'hours'}` : null;
  return wait ? `${when} (${wait})` : when;
}
