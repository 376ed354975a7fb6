/**
 * A small RFC 4180 CSV reader: comma-separated, fields optionally wrapped in double quotes,
 * `""` inside quotes for a literal quote, CRLF or LF line ends, newlines allowed inside
 * quoted fields. Each record remembers the (1-based) line it starts on so that validation
 * errors can point the user at the right line of their file.
 */
import { DatasetError } from './errors.ts';

export interface CsvRecord {
  line: number;
  fields: string[];
}

export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const problems: { line: number; message: string }[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  let inQuotes = false;
  let fieldWasQuoted = false;
  let quoteLine = 0;

  const endField = () => {
    fields.push(field);
    field = '';
    fieldWasQuoted = false;
  };
  const endRecord = () => {
    endField();
    // A line with nothing on it is not a record (trailing newline, blank separators).
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
    fields = [];
  };

  while (i < text.length) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        i++;
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          problems.push({ line, message: 'unexpected character after a closing quote (a quote inside a quoted field is written "")' });
          // Skip to the end of the field so one mistake gives one error.
          while (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') i++;
        }
        continue;
      }
      if (c === '\n') line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (field.length === 0 && !fieldWasQuoted) {
        inQuotes = true;
        fieldWasQuoted = true;
        quoteLine = line;
      } else {
        problems.push({ line, message: 'a quote in an unquoted field (wrap the field in quotes and write the quote as "")' });
        field += c;
      }
      i++;
      continue;
    }
    if (c === ',') {
      endField();
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
      continue;
    }
    field += c;
    i++;
  }
  if (inQuotes) problems.push({ line: quoteLine, message: 'a quoted field is never closed' });
  if (field.length > 0 || fields.length > 0 || fieldWasQuoted) endRecord();
  if (problems.length) throw new DatasetError('CSV syntax error', problems);
  return records;
}
