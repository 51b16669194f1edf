/** The self-contained HTML audit report of a run or an experiment, and its PDF through Chromium. */
export { buildAuditReportHtml, nodeIntervalsSvg, type AuditReportInput, type AuditReportMetadata } from './audit-report';
export { candidateSelectionOption, candidateSelectionSvg, infeasibleRanges, type CurveOptions } from './charts';
export { escapeHtml, formatNumber } from './html';
export { ChromiumMissingError, chromiumPath, printPdf, screenshotPng } from './pdf';
export { experimentReportHtml, parseReportTarget, reportHtml, runReportHtml, softwareVersions, type ReportKind, type ReportTarget } from './report';
