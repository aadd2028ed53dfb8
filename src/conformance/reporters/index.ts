import type { ConformanceReport } from '../types';
import { formatConsoleSummary } from './console';
import { formatHtml } from './html';
import { formatJson } from './json';
import { formatJunit } from './junit';
import { formatMarkdown } from './markdown';

export const REPORTER_NAMES = ['console', 'json', 'junit', 'markdown', 'html'] as const;
export type ReporterName = (typeof REPORTER_NAMES)[number];

/** The whole report as text in one format (console: the summary and failure details, without live lines). */
export function formatReport(report: ConformanceReport, reporter: ReporterName): string {
  switch (reporter) {
    case 'console':
      return formatConsoleSummary(report);
    case 'json':
      return formatJson(report);
    case 'junit':
      return formatJunit(report);
    case 'markdown':
      return formatMarkdown(report);
    case 'html':
      return formatHtml(report);
  }
}

export { ConsoleReporter, formatConsoleSummary, type ConsoleReporterOptions } from './console';
export { formatJson } from './json';
export { formatJunit } from './junit';
export { formatMarkdown } from './markdown';
export { formatHtml, referenceLinks } from './html';
