// `npm start` will build and launch the Electron desktop app (issue 7). Until its shell lands, say so
// and point at what works today instead of failing obscurely.
process.stdout.write(
  'The Fairbound desktop app is not built yet (Electron shell and Vue UI are the next milestone).\n' +
    'What works today is the command line:  npx fairbound --help\n',
);
